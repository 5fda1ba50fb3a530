"""The trained artifact: one fitted object that maps raw rows to prices with a 90 % interval."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from houseprices.errors import ModelNotFoundError

log = logging.getLogger(__name__)


def conformal_half_width(abs_residuals: np.ndarray, coverage: float) -> float:
    """Split-conformal quantile: the ceil((n+1)·coverage)/n empirical quantile of |residual|."""
    residuals = np.sort(np.asarray(abs_residuals, dtype=float))
    n = len(residuals)
    if n == 0:
        raise ValueError("conformal calibration needs at least one residual")
    rank = min(int(np.ceil((n + 1) * coverage)), n)
    return float(residuals[rank - 1])


@dataclass(frozen=True)
class ConformalInterval:
    """Split-conformal half-widths on the log scale, one per predicted-price band.

    `edges` (len = bands - 1) split the predicted log price into bands (Mondrian conformal);
    with no edges there is a single half-width for every prediction.
    """

    half_widths: tuple[float, ...]
    edges: tuple[float, ...] = ()
    coverage: float = 0.90

    @classmethod
    def calibrate(
        cls, y_true: np.ndarray, y_pred: np.ndarray, coverage: float, bands: int = 1
    ) -> ConformalInterval:
        y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
        edges = np.quantile(y_pred, np.linspace(0, 1, bands + 1)[1:-1]) if bands > 1 else []
        band = np.searchsorted(edges, y_pred)
        widths = [
            conformal_half_width(np.abs(y_true - y_pred)[band == b], coverage) for b in range(bands)
        ]
        return cls(tuple(float(w) for w in widths), tuple(float(e) for e in edges), coverage)

    def half_width(self, log_pred: np.ndarray) -> np.ndarray:
        widths = np.asarray(self.half_widths)
        return widths[np.searchsorted(np.asarray(self.edges), log_pred)]


@dataclass
class HousePriceModel:
    """A fitted pipeline on log1p(SalePrice) plus a conformal interval on the same scale."""

    pipeline: Any
    interval: ConformalInterval
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        return self.interval.coverage

    def predict_log(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.pipeline.predict(X), dtype=float)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Sale prices in dollars."""
        return np.expm1(self.predict_log(X))

    @property
    def accepts_records(self) -> bool:
        """Whether the pipeline takes raw values as a dict of columns or a list of dict rows
        (the serving fast path, no DataFrame)."""
        return bool(getattr(self.pipeline, "accepts_records", False))

    def predict_records(self, records: Any) -> np.ndarray:
        """(n, 3) array of SalePrice, lower, upper for raw values given as a dict of columns
        (name -> array) or a list of dict rows."""
        log_pred = self.predict_log(records)
        half = self.interval.half_width(log_pred)
        return np.column_stack(
            [np.expm1(log_pred), np.expm1(log_pred - half), np.expm1(log_pred + half)]
        )

    def predict_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """SalePrice with the lower/upper bounds of the `coverage` prediction interval."""
        log_pred = self.predict_log(X)
        half = self.interval.half_width(log_pred)
        return pd.DataFrame(
            {
                "SalePrice": np.expm1(log_pred),
                "lower": np.expm1(log_pred - half),
                "upper": np.expm1(log_pred + half),
            },
            index=X.index,
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)

    @staticmethod
    def load(path: Path) -> HousePriceModel:
        if not path.is_file():
            raise ModelNotFoundError(
                f"No model at {path}. Train one with `make run` (or `dvc repro train`)."
            )
        model = joblib.load(path)
        if not isinstance(model, HousePriceModel):
            raise ModelNotFoundError(
                f"{path} holds a {type(model).__name__}, not a HousePriceModel."
            )
        return model
