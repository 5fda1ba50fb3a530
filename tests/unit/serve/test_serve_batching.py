"""batching: concurrent requests share model calls and get exactly their own rows back."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pandas as pd
import pytest

from houseprices.model import ConformalInterval, HousePriceModel
from houseprices.serve.batching import MicroBatcher, merge, split
from houseprices.serve.contract import Batch, build_batch
from houseprices.serve.predictor import Predictor
from tests.unit.serve.serve_helpers import house


def batch_of(*areas: float, ids: list[int] | None = None) -> Batch:
    rows = [house(GrLivArea=a, **({"Id": ids[i]} if ids else {})) for i, a in enumerate(areas)]
    names = list(rows[0])
    return build_batch({n: [r[n] for r in rows] for n in names}, len(rows))


def test_merge_and_split_round_trip(model: HousePriceModel) -> None:
    a, b = batch_of(1000, 1100), batch_of(2000, ids=[9])
    merged = merge([a, b])
    assert merged.n_rows == 3
    assert merged.columns["GrLivArea"].tolist() == [1000.0, 1100.0, 2000.0]
    pred = Predictor("champion", model).predict(merged)
    first, second = split(pred, [2, 1])
    assert first.price.shape == (2,) and second.price.shape == (1,)
    assert second.price[0] == pred.price[2]
    assert merge([a]) is a


class SlowCounting(HousePriceModel):
    """Counts model calls; each call holds the thread briefly so requests pile up."""

    def predict_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        self.calls = getattr(self, "calls", 0) + 1
        self.sizes = [*getattr(self, "sizes", []), len(X)]
        threading.Event().wait(0.05)
        return super().predict_frame(X)


def test_concurrent_requests_share_calls_and_keep_their_rows(model: HousePriceModel) -> None:
    slow = SlowCounting(pipeline=model.pipeline, interval=model.interval)
    predictor = Predictor("champion", slow)
    batcher = MicroBatcher(predictor, max_rows=256)
    batches = [batch_of(1000 + 10 * i, 1500 + 10 * i) for i in range(12)]

    async def run() -> list:
        return await asyncio.gather(*(batcher.predict(b) for b in batches))

    results = asyncio.run(run())
    assert slow.calls < len(batches)  # merged
    for b, result in zip(batches, results, strict=True):
        expected = Predictor("champion", model).predict(b)
        np.testing.assert_allclose(result.price, expected.price, rtol=1e-12)
        np.testing.assert_allclose(result.upper, expected.upper, rtol=1e-12)


def test_max_rows_caps_a_call(model: HousePriceModel) -> None:
    slow = SlowCounting(pipeline=model.pipeline, interval=model.interval)
    batcher = MicroBatcher(Predictor("champion", slow), max_rows=3)

    async def run() -> None:
        await asyncio.gather(*(batcher.predict(batch_of(1000, 1200)) for _ in range(5)))

    asyncio.run(run())
    assert max(slow.sizes) <= 3


def test_a_model_error_reaches_every_waiting_request() -> None:
    class Broken:
        def predict(self, X: pd.DataFrame) -> np.ndarray:
            raise RuntimeError("model fault")

    batcher = MicroBatcher(Predictor("bad", HousePriceModel(Broken(), ConformalInterval((0.1,)))))

    async def run() -> list:
        return await asyncio.gather(
            *(batcher.predict(batch_of(1000)) for _ in range(3)), return_exceptions=True
        )

    results = asyncio.run(run())
    assert all(isinstance(r, RuntimeError) for r in results)


def test_lone_request_is_called_at_once(model: HousePriceModel) -> None:
    batcher = MicroBatcher(Predictor("champion", model))
    result = asyncio.run(batcher.predict(batch_of(1000)))
    assert result.price[0] == pytest.approx(100000, rel=1e-4)
    assert batcher.calls == 1


class ThreadRecording(HousePriceModel):
    """Records the thread each model call runs on."""

    def predict_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        self.threads = [*getattr(self, "threads", []), threading.get_ident()]
        return super().predict_frame(X)


def test_small_calls_run_on_the_event_loop_large_ones_in_a_thread(model: HousePriceModel) -> None:
    recording = ThreadRecording(pipeline=model.pipeline, interval=model.interval)
    batcher = MicroBatcher(Predictor("champion", recording), max_rows=256, inline_rows=2)

    async def run() -> int:
        await batcher.predict(batch_of(1000, 1100))  # 2 rows: inline
        await batcher.predict(batch_of(1000, 1100, 1200))  # 3 rows: worker thread
        return threading.get_ident()

    loop_thread = asyncio.run(run())
    assert recording.threads[0] == loop_thread
    assert recording.threads[1] != loop_thread


def test_requests_arriving_together_are_merged_without_a_thread(model: HousePriceModel) -> None:
    counting = ThreadRecording(pipeline=model.pipeline, interval=model.interval)
    batcher = MicroBatcher(Predictor("champion", counting), max_rows=256)

    async def run() -> list:
        return await asyncio.gather(*(batcher.predict(batch_of(1000 + i)) for i in range(16)))

    results = asyncio.run(run())
    assert batcher.calls == 1 and len(counting.threads) == 1  # one call for 16 requests
    assert [r.price.shape for r in results] == [(1,)] * 16


def test_a_batch_window_lets_later_requests_join_the_call(model: HousePriceModel) -> None:
    recording = ThreadRecording(pipeline=model.pipeline, interval=model.interval)
    batcher = MicroBatcher(Predictor("champion", recording), max_rows=256, max_wait=0.05)

    async def late(delay: float, area: float) -> object:
        await asyncio.sleep(delay)
        return await batcher.predict(batch_of(area))

    async def run() -> list:
        return await asyncio.gather(late(0, 1000), late(0.01, 1100), late(0.02, 1200))

    results = asyncio.run(run())
    assert batcher.calls == 1  # the two later requests arrived within the window
    assert [r.price.shape for r in results] == [(1,)] * 3

    no_window = MicroBatcher(Predictor("champion", recording), max_rows=256)

    async def run_without() -> None:
        await asyncio.gather(
            no_window.predict(batch_of(1000)),
            asyncio.sleep(0.01),
        )
        await no_window.predict(batch_of(1100))

    asyncio.run(run_without())
    assert no_window.calls == 2


@pytest.mark.parametrize(("gather", "calls"), [(True, 1), (False, 2)])
def test_requests_that_arrived_during_the_turn_join_the_call(
    model: HousePriceModel, gather: bool, calls: int
) -> None:
    """A request that the event loop reads in the same turn (scheduled by a callback here)
    joins the first call when the batcher lets the loop turn once before calling the model."""
    batcher = MicroBatcher(Predictor("champion", model), max_rows=256, gather_arrived=gather)

    async def run() -> list[object]:
        loop = asyncio.get_running_loop()
        later: list[asyncio.Task[object]] = []
        loop.call_soon(lambda: later.append(loop.create_task(batcher.predict(batch_of(1100)))))
        first = await batcher.predict(batch_of(1000))
        return [first, await later[0]]

    results = asyncio.run(run())
    assert batcher.calls == calls
    assert [r.price.shape for r in results] == [(1,)] * 2  # type: ignore[attr-defined]
