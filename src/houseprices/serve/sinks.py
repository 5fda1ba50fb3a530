"""Prediction-log sinks: callables run by the PredictionLog's background thread."""

from __future__ import annotations

import logging
import math
import os
import threading
from pathlib import Path
from typing import Any

import orjson

from houseprices.serve.predictor import PredictionEvent

log = logging.getLogger(__name__)


def event_record(event: PredictionEvent) -> dict[str, Any]:
    """One JSON-able record per request: the given inputs and the predictions, row by row."""
    batch, pred = event.batch, event.prediction
    given = [c for c in batch.given if c in batch.columns]
    columns = {c: batch.columns[c].tolist() for c in given}
    ids = batch.ids.tolist() if batch.ids is not None else [None] * batch.n_rows
    rows = []
    for i in range(batch.n_rows):
        inputs = {}
        for c in given:
            v = columns[c][i]
            inputs[c] = None if isinstance(v, float) and math.isnan(v) else v
        rows.append(
            {
                "Id": ids[i],
                "inputs": inputs,
                "SalePrice": float(pred.price[i]),
                "lower": float(pred.lower[i]),
                "upper": float(pred.upper[i]),
            }
        )
    return {
        "request_id": event.request_id,
        "timestamp": event.timestamp,
        "variant": event.variant,
        "latency_ms": round(event.latency_s * 1000, 3),
        "rows": rows,
    }


class JsonlSink:
    """Append one JSON line per request to `path` (`{pid}` in the name is the worker's pid)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(str(path).replace("{pid}", str(os.getpid())))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._fh = self.path.open("ab")

    def __call__(self, event: PredictionEvent) -> None:
        line = orjson.dumps(event_record(event)) + b"\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            self._fh.close()

    def __repr__(self) -> str:
        return f"JsonlSink({self.path})"
