"""Micro-batching: concurrent requests to one variant share one model call.

A model call has a fixed cost (the featurizations and the members' per-call work) besides
its cost per row, so rows from requests that arrive while a call runs are merged into the
next call and the results split back. Nothing waits on a timer: before each call the event
loop takes one more turn (`gather_arrived`), so requests whose bytes have already arrived are
read, decoded and join the call; a lone request pays a few microseconds. Under load that
merges more rows per call: single-row requests at 16 connections, 3158-3805 req/s against
2588-2631 without it, p99 8.7-10 ms against 11.6-12.7 ms (alternating runs). A real batch
window (`max_wait`) is available too but off by default.

A small merged call (up to `inline_rows` rows, a few milliseconds) runs on the event loop
itself: handing it to a thread costs more than it saves, since the GIL lets only one of them
compute anyway, and requests that arrive meanwhile queue up for the next call. Larger calls
run in a worker thread, keeping the event loop free for new requests and /ping.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import numpy as np
from starlette.concurrency import run_in_threadpool

from houseprices import schema
from houseprices.serve import metrics
from houseprices.serve.codecs import Prediction
from houseprices.serve.contract import Batch
from houseprices.serve.predictor import Predictor

log = logging.getLogger(__name__)


def merge(batches: list[Batch]) -> Batch:
    """One Batch holding the rows of `batches` in order (ids are kept by the callers)."""
    if len(batches) == 1:
        return batches[0]
    given = tuple(dict.fromkeys(c for b in batches for c in b.given))
    n_rows = sum(b.n_rows for b in batches)
    if all(b.blocks is not None for b in batches):
        blocks = (
            np.concatenate([b.blocks[0] for b in batches], axis=1),  # type: ignore[index]
            np.concatenate([b.blocks[1] for b in batches], axis=1),  # type: ignore[index]
        )
        return Batch(n_rows=n_rows, given=given, blocks=blocks)
    columns = {n: np.concatenate([b.columns[n] for b in batches]) for n in schema.FEATURES}
    return Batch(columns=columns, n_rows=n_rows, given=given)


def split(prediction: Prediction, sizes: list[int]) -> list[Prediction]:
    out, start = [], 0
    for size in sizes:
        end = start + size
        out.append(
            Prediction(
                price=prediction.price[start:end],
                lower=prediction.lower[start:end],
                upper=prediction.upper[start:end],
                coverage=prediction.coverage,
                variant=prediction.variant,
            )
        )
        start = end
    return out


@dataclass
class _Pending:
    batch: Batch
    future: asyncio.Future[Prediction]


async def _one_loop_turn() -> None:
    """Resume after the event loop's next poll for I/O (a zero-delay timer runs after it; a
    plain `sleep(0)` would resume before the callbacks that poll schedules)."""
    loop = asyncio.get_running_loop()
    turned: asyncio.Future[None] = loop.create_future()
    loop.call_later(0, turned.set_result, None)
    await turned


class MicroBatcher:
    """Per-variant queue: `await predict(batch)` from the event loop of one worker."""

    def __init__(
        self,
        predictor: Predictor,
        max_rows: int = 256,
        inline_rows: int = 64,
        max_wait: float = 0.0,
        gather_arrived: bool = True,
    ) -> None:
        self.predictor = predictor
        self.max_rows = max_rows
        self.inline_rows = inline_rows
        self.max_wait = max_wait
        self.gather_arrived = gather_arrived
        self._pending: list[_Pending] = []
        self._task: asyncio.Task[None] | None = None
        self.calls = 0

    async def predict(self, batch: Batch) -> Prediction:
        loop = asyncio.get_running_loop()
        item = _Pending(batch, loop.create_future())
        self._pending.append(item)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await item.future

    def _worth_waiting(self) -> bool:
        """`max_wait` > 0 trades latency for throughput: each call first waits that long
        for more requests (the event loop reads the sockets meanwhile), unless it is full."""
        if self.max_wait <= 0:
            return False
        return sum(p.batch.n_rows for p in self._pending) < self.max_rows

    def _take(self) -> list[_Pending]:
        group = [self._pending.pop(0)]
        rows = group[0].batch.n_rows
        while self._pending and rows + self._pending[0].batch.n_rows <= self.max_rows:
            rows += self._pending[0].batch.n_rows
            group.append(self._pending.pop(0))
        return group

    async def _drain(self) -> None:
        while self._pending:
            if self._worth_waiting():
                await asyncio.sleep(self.max_wait)
            elif self.gather_arrived:
                await _one_loop_turn()
            group = self._take()
            self.calls += 1
            metrics.MODEL_CALLS.labels(self.predictor.name).inc()
            try:
                merged = merge([p.batch for p in group])
                if merged.n_rows <= self.inline_rows:
                    prediction = self.predictor.predict(merged)
                else:
                    prediction = await run_in_threadpool(self.predictor.predict, merged)
                parts = split(prediction, [p.batch.n_rows for p in group])
            except Exception as exc:
                for p in group:
                    if not p.future.done():
                        p.future.set_exception(exc)
                continue
            for p, part in zip(group, parts, strict=True):
                if not p.future.done():
                    p.future.set_result(part)
