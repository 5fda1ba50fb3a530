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


@dataclass
class HousePriceModel:
    """A fitted pipeline on log1p(SalePrice) plus a conformal interval on the same scale."""

    pipeline: Any
    half_width: float
    coverage: float = 0.90
    metadata: dict[str, Any] = field(default_factory=dict)

    def predict_log(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.pipeline.predict(X), dtype=float)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Sale prices in dollars."""
        return np.expm1(self.predict_log(X))

    def predict_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """SalePrice with the lower/upper bounds of the `coverage` prediction interval."""
        log_pred = self.predict_log(X)
        return pd.DataFrame(
            {
                "SalePrice": np.expm1(log_pred),
                "lower": np.expm1(log_pred - self.half_width),
                "upper": np.expm1(log_pred + self.half_width),
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
