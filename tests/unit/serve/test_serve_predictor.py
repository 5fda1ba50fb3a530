"""predictor: variants side by side, the fast path, the /ping self-check, the prediction log."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest

from houseprices.errors import ModelNotFoundError
from houseprices.model import ConformalInterval, HousePriceModel
from houseprices.serve.contract import build_batch
from houseprices.serve.errors import ModelUnavailable, UnknownVariant
from houseprices.serve.predictor import (
    CANNED_HOUSE,
    ModelRegistry,
    PredictionEvent,
    PredictionLog,
    Predictor,
    canned_batch,
)
from houseprices.serve.sinks import JsonlSink, event_record
from tests.unit.serve.serve_helpers import tiny_model


def test_frame_path_matches_the_model(model: HousePriceModel) -> None:
    batch = build_batch(
        {**{k: [v, v] for k, v in CANNED_HOUSE.items()}, "GrLivArea": ["1000", "2000"]}, 2
    )
    result = Predictor("champion", model).predict(batch)
    expected = model.predict_frame(batch.frame)
    np.testing.assert_allclose(result.price, expected["SalePrice"])
    np.testing.assert_allclose(result.lower, expected["lower"])
    np.testing.assert_allclose(result.upper, expected["upper"])
    np.testing.assert_allclose(result.price, [100000.0, 200000.0], rtol=1e-4)
    assert result.coverage == 0.9 and result.variant == "champion"


class FastModel(HousePriceModel):
    """A model that offers the fast path (and must not be asked for a DataFrame)."""

    accepts_records = True  # type: ignore[assignment]

    def predict_records(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        self.calls = getattr(self, "calls", 0) + 1
        assert isinstance(columns, dict)  # the batch's columns, as they are
        area = np.asarray(columns["GrLivArea"], dtype=float)
        return np.column_stack([area, area - 1, area + 1])

    def predict_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        raise AssertionError("the fast path should have been used")


def test_fast_path_gets_the_columns_not_a_frame() -> None:
    model = FastModel(pipeline=None, interval=ConformalInterval((0.1,)))
    predictor = Predictor("fast", model)
    result = predictor.predict(canned_batch())
    assert predictor.info["fast_path"] is True
    assert result.price.tolist() == [1700.0] and result.upper.tolist() == [1701.0]
    assert model.calls == 1


def test_load_from_file(model_file: Path) -> None:
    predictor = Predictor.load("champion", model_file)
    assert predictor.source == str(model_file)
    predictor.check()
    assert predictor.info["metadata"] == {"model": "tiny"}


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="make run"):
        Predictor.load("champion", tmp_path / "nope.joblib")


class Broken:
    def predict(self, X: pd.DataFrame) -> np.ndarray:
        raise RuntimeError("boom")


class Negative:
    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), np.nan)


@pytest.mark.parametrize("pipeline", [Broken(), Negative()])
def test_check_fails_on_a_broken_model(pipeline: object) -> None:
    predictor = Predictor(
        "bad", HousePriceModel(pipeline=pipeline, interval=ConformalInterval((0.1,)))
    )
    with pytest.raises(ModelUnavailable, match="canned prediction"):
        predictor.check()


def test_registry(registry: ModelRegistry) -> None:
    assert registry.names == ["champion", "challenger"]
    assert registry.get().name == "champion"
    assert registry.get("challenger").name == "challenger"
    with pytest.raises(UnknownVariant) as err:
        registry.get("nope")
    assert err.value.field == "X-Model-Variant"
    registry.check()
    assert [v["variant"] for v in registry.info()["variants"]] == ["champion", "challenger"]
    batch = canned_batch()
    assert registry.get("challenger").predict(batch).price[0] == pytest.approx(
        2 * registry.get().predict(batch).price[0]
    )


def test_registry_needs_its_default(model: HousePriceModel) -> None:
    with pytest.raises(ValueError, match="default"):
        ModelRegistry([Predictor("a", model)], "b")


def test_registry_check_is_cached() -> None:
    calls = []

    class Counting(Predictor):
        def check(self) -> None:
            calls.append(1)

    registry = ModelRegistry([Counting("a", tiny_model())], "a")
    registry.check(max_age=60)
    registry.check(max_age=60)
    registry.check(max_age=0)
    assert len(calls) == 2


def event(n: int = 1) -> PredictionEvent:
    batch = canned_batch()
    prediction = Predictor("champion", tiny_model()).predict(batch)
    return PredictionEvent(f"r{n}", time.time(), "champion", batch, prediction, 0.001)


def test_prediction_log_calls_sinks_off_thread() -> None:
    seen: list[tuple[str, str]] = []
    plog = PredictionLog([lambda e: seen.append((e.request_id, threading.current_thread().name))])
    plog.start()
    assert plog.submit(event(1)) and plog.submit(event(2))
    plog.close()
    assert seen == [("r1", "prediction-log"), ("r2", "prediction-log")]
    assert plog.written == 2


def test_prediction_log_survives_a_failing_sink() -> None:
    good: list[str] = []

    def bad(e: PredictionEvent) -> None:
        raise OSError("disk full")

    plog = PredictionLog([bad, lambda e: good.append(e.request_id)])
    plog.start()
    plog.submit(event(1))
    plog.submit(event(2))
    plog.close()
    assert good == ["r1", "r2"]


def test_prediction_log_drops_when_full() -> None:
    gate = threading.Event()
    drops: list[int] = []
    plog = PredictionLog([lambda e: gate.wait(5)], maxsize=1)
    plog.on_drop = lambda: drops.append(1)
    plog.start()
    results = [plog.submit(event(i)) for i in range(5)]
    gate.set()
    plog.close()
    assert results[0] is True and not all(results)
    assert plog.dropped == len(drops) >= 1


def test_prediction_log_without_sinks_is_off() -> None:
    plog = PredictionLog()
    plog.start()
    assert not plog.enabled and plog.submit(event()) is False
    plog.close()


def test_jsonl_sink(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "log-{pid}.jsonl")
    sink(event(1))
    sink(event(2))
    sink.close()
    lines = sink.path.read_text().splitlines()
    assert len(lines) == 2 and "{pid}" not in sink.path.name
    record = orjson.loads(lines[0])
    assert record["request_id"] == "r1" and record["variant"] == "champion"
    row = record["rows"][0]
    assert row["inputs"]["GrLivArea"] == 1700.0 and "PoolArea" not in row["inputs"]
    assert row["lower"] < row["SalePrice"] < row["upper"]
    assert event_record(event())["rows"][0]["Id"] is None


def test_models_whose_pipeline_needs_a_frame_get_the_frame_path(model: HousePriceModel) -> None:
    assert model.accepts_records is False  # the tiny ColumnTransformer model
    assert Predictor("frame", model).fast_path is None
