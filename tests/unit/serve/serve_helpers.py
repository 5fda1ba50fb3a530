"""Helpers of the serving unit tests: a tiny real sklearn model and canned rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from houseprices import schema
from houseprices.model import ConformalInterval, HousePriceModel
from houseprices.serve.predictor import CANNED_HOUSE


def tiny_model(scale: float = 100.0) -> HousePriceModel:
    """log1p(price) linear in log(GrLivArea): price = scale * GrLivArea (to ~1e-5)."""
    area = np.array([500.0, 1000.0, 2000.0, 4000.0])
    X = pd.DataFrame({name: np.nan for name in schema.FEATURES}, index=range(4))
    X["GrLivArea"] = area
    pipe = Pipeline(
        [
            ("pick", ColumnTransformer([("area", FunctionTransformer(np.log), ["GrLivArea"])])),
            ("model", LinearRegression()),
        ]
    ).fit(X, np.log1p(scale * area))
    return HousePriceModel(
        pipeline=pipe, interval=ConformalInterval((0.1,), coverage=0.9), metadata={"model": "tiny"}
    )


def csv_line(values: list[object]) -> str:
    return ",".join("" if v is None else str(v) for v in values)


def house(**changes: object) -> dict[str, object]:
    row = dict(CANNED_HOUSE)
    row.update(changes)
    return row


def full_row(**changes: object) -> list[object]:
    """All test.csv columns (Id first) for the canned house."""
    row = house(Id=7, **changes)
    return [row.get(name) for name in schema.COLUMNS]
