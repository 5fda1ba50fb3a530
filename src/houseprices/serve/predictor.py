"""Loaded models: one `Predictor` per variant, a `ModelRegistry` of variants, a prediction log.

The registry holds any number of named variants side by side (the champion by default); a
request picks one by name. Every prediction can be handed to a `PredictionLog`: a bounded queue
drained by a background thread that calls the registered sinks, so logging never sits on the
request's critical path (a full queue drops the event and counts it). Monitoring, A/B tests and
canary routing build on these two.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from houseprices.model import HousePriceModel
from houseprices.serve.codecs import Prediction
from houseprices.serve.contract import Batch, build_batch
from houseprices.serve.errors import ModelUnavailable, Problem, UnknownVariant

log = logging.getLogger(__name__)

#: A made-up ordinary house (not a row of the Kaggle files) for the /ping self-check.
CANNED_HOUSE: dict[str, Any] = {
    "MSSubClass": 60,
    "MSZoning": "RL",
    "LotFrontage": 70,
    "LotArea": 9000,
    "Street": "Pave",
    "LotShape": "Reg",
    "LandContour": "Lvl",
    "Utilities": "AllPub",
    "LotConfig": "Inside",
    "LandSlope": "Gtl",
    "Neighborhood": "CollgCr",
    "Condition1": "Norm",
    "Condition2": "Norm",
    "BldgType": "1Fam",
    "HouseStyle": "2Story",
    "OverallQual": 6,
    "OverallCond": 5,
    "YearBuilt": 2000,
    "YearRemodAdd": 2000,
    "ExterQual": "Gd",
    "KitchenQual": "Gd",
    "TotalBsmtSF": 850,
    "1stFlrSF": 860,
    "2ndFlrSF": 840,
    "GrLivArea": 1700,
    "FullBath": 2,
    "HalfBath": 1,
    "BedroomAbvGr": 3,
    "TotRmsAbvGrd": 7,
    "GarageCars": 2,
    "GarageArea": 500,
    "MoSold": 6,
    "YrSold": 2008,
    "SaleType": "WD",
    "SaleCondition": "Normal",
}


def canned_batch() -> Batch:
    return build_batch({k: [v] for k, v in CANNED_HOUSE.items()}, 1)


@dataclass
class Predictor:
    """One model variant. Uses the model's `predict_records` fast path when it has one: the
    batch's columns (a dict of arrays) go to the model as they are, no DataFrame."""

    name: str
    model: HousePriceModel
    source: str = ""
    loaded_at: float = field(default_factory=time.time)

    @classmethod
    def load(cls, name: str, path: Path) -> Predictor:
        started = time.perf_counter()
        model = HousePriceModel.load(path)
        log.info("variant %s: loaded %s in %.2fs", name, path, time.perf_counter() - started)
        return cls(name=name, model=model, source=str(path))

    @property
    def fast_path(self) -> Callable[[Any], Any] | None:
        if not getattr(self.model, "accepts_records", True):
            return None
        fast = getattr(self.model, "predict_records", None)
        return fast if callable(fast) else None

    @property
    def coverage(self) -> float:
        return float(self.model.coverage)

    @property
    def info(self) -> dict[str, Any]:
        return {
            "variant": self.name,
            "source": self.source,
            "coverage": self.coverage,
            "fast_path": self.fast_path is not None,
            "metadata": dict(self.model.metadata),
        }

    def predict(self, batch: Batch) -> Prediction:
        fast = self.fast_path
        out = fast(batch.columns) if fast is not None else self.model.predict_frame(batch.frame)
        values = np.asarray(
            out[["SalePrice", "lower", "upper"]] if isinstance(out, pd.DataFrame) else out,
            dtype=np.float64,
        ).reshape(batch.n_rows, 3)
        return Prediction(
            price=values[:, 0],
            lower=values[:, 1],
            upper=values[:, 2],
            coverage=self.coverage,
            variant=self.name,
        )

    def check(self) -> None:
        """Predict the canned house; raise ModelUnavailable unless it gives a sane price."""
        try:
            result = self.predict(canned_batch())
        except Exception as exc:
            raise ModelUnavailable(
                f"variant {self.name}: the canned prediction failed ({exc!r}); check the model "
                f"artifact {self.source}."
            ) from exc
        price = float(result.price[0])
        if not (math.isfinite(price) and price > 0):
            raise ModelUnavailable(
                f"variant {self.name}: the canned prediction is {price}, not a positive price; "
                f"check the model artifact {self.source}."
            )


class ModelRegistry:
    """Named variants loaded side by side; `get(None)` is the default one."""

    def __init__(self, predictors: Iterable[Predictor], default: str) -> None:
        self._predictors = {p.name: p for p in predictors}
        if default not in self._predictors:
            raise ValueError(f"default variant {default!r} is not among {sorted(self._predictors)}")
        self.default = default
        self._checked_at = -math.inf
        self._lock = threading.Lock()

    @classmethod
    def from_paths(cls, paths: Mapping[str, Path], default: str) -> ModelRegistry:
        return cls([Predictor.load(name, Path(p)) for name, p in paths.items()], default)

    @property
    def names(self) -> list[str]:
        return list(self._predictors)

    def __len__(self) -> int:
        return len(self._predictors)

    def get(self, name: str | None = None) -> Predictor:
        predictor = self._predictors.get(name or self.default)
        if predictor is None:
            raise UnknownVariant(
                f"Unknown model variant {name!r}: choose one of {self.names} "
                "(or omit the X-Model-Variant header for the default).",
                [Problem("X-Model-Variant", "unknown variant", value=name)],
            )
        return predictor

    def check(self, max_age: float = 0.0) -> None:
        """Canned prediction on every variant, at most once per `max_age` seconds."""
        now = time.monotonic()
        if now - self._checked_at < max_age:
            return
        with self._lock:
            for predictor in self._predictors.values():
                predictor.check()
            self._checked_at = time.monotonic()

    def info(self) -> dict[str, Any]:
        return {"default": self.default, "variants": [p.info for p in self._predictors.values()]}


@dataclass(frozen=True)
class PredictionEvent:
    """What the log receives for every answered request (arrays are not copied)."""

    request_id: str
    timestamp: float
    variant: str
    batch: Batch
    prediction: Prediction
    latency_s: float


Sink = Callable[[PredictionEvent], None]


class PredictionLog:
    """A bounded queue of PredictionEvents drained by one daemon thread into `sinks`."""

    def __init__(self, sinks: Iterable[Sink] = (), maxsize: int = 10_000) -> None:
        self.sinks: list[Sink] = list(sinks)
        self._queue: queue.Queue[PredictionEvent | None] = queue.Queue(maxsize=maxsize)
        self._thread: threading.Thread | None = None
        self.dropped = 0
        self.written = 0
        self.on_drop: Callable[[], None] | None = None

    def add_sink(self, sink: Sink) -> None:
        self.sinks.append(sink)

    @property
    def enabled(self) -> bool:
        return bool(self.sinks)

    def start(self) -> None:
        if self._thread is None and self.sinks:
            self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)
            self._thread.start()

    def submit(self, event: PredictionEvent) -> bool:
        """Queue an event without blocking; False (and counted) when the queue is full."""
        if self._thread is None:
            return False
        try:
            self._queue.put_nowait(event)
            return True
        except queue.Full:
            self.dropped += 1
            if self.on_drop is not None:
                self.on_drop()
            return False

    def _drain(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            for sink in self.sinks:
                try:
                    sink(event)
                except Exception:
                    log.exception("prediction log sink %r failed", sink)
            self.written += 1

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (up to `timeout` seconds), then stop the thread."""
        if self._thread is None:
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            log.warning("prediction log: queue still full at shutdown; events lost")
        self._thread.join(timeout)
        self._thread = None
