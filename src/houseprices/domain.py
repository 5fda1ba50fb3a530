"""Domain knowledge of the Ames data used by the featurizer: which columns are ordinal scales
and how they order, which are nominal, what a missing value means, what gets engineered.
Pure data and small value converters; nothing here learns from data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from houseprices import schema

_QUAL = {"Ex": 5, "Gd": 4, "TA": 3, "Fa": 2, "Po": 1, "None": 0}
ORDINAL_MAPS: dict[str, dict[str, int]] = {
    **{
        c: _QUAL
        for c in (
            "ExterQual",
            "ExterCond",
            "BsmtQual",
            "BsmtCond",
            "HeatingQC",
            "KitchenQual",
            "FireplaceQu",
            "GarageQual",
            "GarageCond",
            "PoolQC",
        )
    },
    "BsmtExposure": {"Gd": 4, "Av": 3, "Mn": 2, "No": 1, "None": 0},
    "BsmtFinType1": {"GLQ": 6, "ALQ": 5, "BLQ": 4, "Rec": 3, "LwQ": 2, "Unf": 1, "None": 0},
    "BsmtFinType2": {"GLQ": 6, "ALQ": 5, "BLQ": 4, "Rec": 3, "LwQ": 2, "Unf": 1, "None": 0},
    "GarageFinish": {"Fin": 3, "RFn": 2, "Unf": 1, "None": 0},
    "Functional": {
        "Typ": 7,
        "Min1": 6,
        "Min2": 5,
        "Mod": 4,
        "Maj1": 3,
        "Maj2": 2,
        "Sev": 1,
        "Sal": 0,
    },
    "Fence": {"GdPrv": 4, "MnPrv": 3, "GdWo": 2, "MnWw": 1, "None": 0},
    "PavedDrive": {"Y": 2, "P": 1, "N": 0},
    "CentralAir": {"Y": 1, "N": 0},
    "LotShape": {"Reg": 3, "IR1": 2, "IR2": 1, "IR3": 0},
    "LandSlope": {"Gtl": 2, "Mod": 1, "Sev": 0},
    "Street": {"Pave": 1, "Grvl": 0},
    "Utilities": {"AllPub": 3, "NoSewr": 2, "NoSeWa": 1, "ELO": 0},
}
NOMINAL = (
    "MSSubClass",
    "MSZoning",
    "Alley",
    "LandContour",
    "LotConfig",
    "Neighborhood",
    "Condition1",
    "Condition2",
    "BldgType",
    "HouseStyle",
    "RoofStyle",
    "RoofMatl",
    "Exterior1st",
    "Exterior2nd",
    "MasVnrType",
    "Foundation",
    "Heating",
    "Electrical",
    "GarageType",
    "MiscFeature",
    "SaleType",
    "SaleCondition",
    "MoSold",
    "YrSold",
)
INT_CATEGORICAL = ("MSSubClass", "MoSold", "YrSold")  # numbers that are really labels
NUMERIC = (
    "LotFrontage",
    "LotArea",
    "OverallQual",
    "OverallCond",
    "YearBuilt",
    "YearRemodAdd",
    "MasVnrArea",
    "BsmtFinSF1",
    "BsmtFinSF2",
    "BsmtUnfSF",
    "TotalBsmtSF",
    "1stFlrSF",
    "2ndFlrSF",
    "LowQualFinSF",
    "GrLivArea",
    "BsmtFullBath",
    "BsmtHalfBath",
    "FullBath",
    "HalfBath",
    "BedroomAbvGr",
    "KitchenAbvGr",
    "TotRmsAbvGrd",
    "Fireplaces",
    "GarageYrBlt",
    "GarageCars",
    "GarageArea",
    "WoodDeckSF",
    "OpenPorchSF",
    "EnclosedPorch",
    "3SsnPorch",
    "ScreenPorch",
    "PoolArea",
    "MiscVal",
    "YrSold",
    "MoSold",
)
# NA means "feature absent" (data_description.txt)
NONE_IF_MISSING = (
    "Alley",
    "BsmtQual",
    "BsmtCond",
    "BsmtExposure",
    "BsmtFinType1",
    "BsmtFinType2",
    "FireplaceQu",
    "GarageType",
    "GarageFinish",
    "GarageQual",
    "GarageCond",
    "PoolQC",
    "Fence",
    "MiscFeature",
    "MasVnrType",
)
ZERO_IF_MISSING = (
    "MasVnrArea",
    "BsmtFinSF1",
    "BsmtFinSF2",
    "BsmtUnfSF",
    "TotalBsmtSF",
    "BsmtFullBath",
    "BsmtHalfBath",
    "GarageCars",
    "GarageArea",
)
ENGINEERED = (
    "TotalSF",
    "TotalBath",
    "TotalPorchSF",
    "HouseAge",
    "RemodAge",
    "GarageAge",
    "IsRemodeled",
    "IsNew",
    "HasPool",
    "Has2ndFlr",
    "HasGarage",
    "HasBsmt",
    "HasFireplace",
    "HasPorch",
    "HasMasVnr",
    "QualSF",
    "QualGrLiv",
    "OverallScore",
    "LotFrontageMissing",
)
# squared terms that help the linear models (Lasso 0.1090 -> 0.1079 on the tuning folds)
LINEAR_SQUARES = (
    "OverallQual",
    "GrLivArea",
    "TotalSF",
    "GarageCars",
    "TotalBath",
    "ExterQual",
    "KitchenQual",
    "BsmtQual",
    "YearBuilt",
    "GarageArea",
    "HouseAge",
    "RemodAge",
)
RAW_COLUMNS = tuple(dict.fromkeys(NUMERIC + tuple(ORDINAL_MAPS) + NOMINAL + ("Neighborhood",)))


def is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def as_str(v, int_like: bool) -> str | None:
    if is_missing(v):
        return None
    if int_like:
        try:
            return str(int(float(v)))
        except (TypeError, ValueError, OverflowError):  # OverflowError: inf
            return str(v)
    return str(v)


def to_float(col: np.ndarray) -> np.ndarray:
    out = np.empty(len(col), dtype=float)
    for i, v in enumerate(col):
        try:
            out[i] = np.nan if v is None else float(v)
        except (TypeError, ValueError):
            out[i] = np.nan
    return out


# --------------------------------------------------------------------------- raw values -> columns
# Vectorised conversion of raw input values (used by HouseFeaturizer at fit and predict time).
STRING_COLUMNS = tuple(dict.fromkeys((*NOMINAL, *ORDINAL_MAPS)))
#: raw value -> cleaned level, per column (bounded: garbage input must not grow it forever)
LEVEL_CACHE: dict[str, dict[Any, str | None]] = {c: {} for c in STRING_COLUMNS}
LEVEL_CACHE_MAX = 4096
_UNSET = object()
#: columns at least this long are factorised instead of looked up value by value
FACTORIZE_MIN_ROWS = 64


def missing_column(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def as_column(values: Any) -> np.ndarray:
    """A 1-D array of `values`; arrays keep their dtype, anything else is kept as objects."""
    if isinstance(values, np.ndarray):
        return values if values.ndim == 1 else np.atleast_1d(values)
    return np.atleast_1d(np.asarray(values, dtype=object))


def float_column(col: np.ndarray) -> np.ndarray:
    """Floats with NaN for missing; non-numeric values become NaN (`to_float`)."""
    if col.dtype.kind in "fiub":
        return col.astype(float, copy=False)
    try:
        return np.asarray(col, dtype=float)  # None -> NaN; numbers and numeric strings
    except (TypeError, ValueError):
        return to_float(col)


def clean_level(v: Any, c: str) -> str | None:
    s = as_str(v, c in INT_CATEGORICAL)
    if s is None:
        return "None" if c in NONE_IF_MISSING else None
    return schema.ALIASES.get(c, {}).get(s, s)


def clean_list(values: list[Any], c: str) -> list[str | None]:
    cache = LEVEL_CACHE[c]
    try:
        out = [cache.get(v, _UNSET) for v in values]
    except TypeError:  # an unhashable value: clean every value on its own
        out = [_UNSET] * len(values)
    if _UNSET in out:
        numbers_too = c in INT_CATEGORICAL
        missing = clean_level(None, c)
        for i, v in enumerate(values):
            if out[i] is not _UNSET:
                continue
            if v != v:  # NaN
                out[i] = missing
                continue
            out[i] = level = clean_level(v, c)
            kind = type(v)
            cacheable = v is None or kind is str or (numbers_too and kind in (int, float))
            if cacheable and len(cache) < LEVEL_CACHE_MAX:
                cache[v] = level
    return out  # type: ignore[return-value]  # every _UNSET has been replaced


def _by_distinct(
    col: np.ndarray, apply: Callable[[list[Any]], list[Any]], dtype: Any
) -> np.ndarray:
    """`apply` (a list of values -> a list of results) on every value of `col`: directly for
    short columns, once per distinct value for long ones (factorised, None/NaN as None)."""
    if len(col) < FACTORIZE_MIN_ROWS:
        return np.array(apply(col.tolist()), dtype=dtype)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)  # None and NaN -> -1
    return np.array(apply([*uniques, None]), dtype=dtype)[codes]


def clean_strings(col: np.ndarray, c: str) -> np.ndarray:
    """Column `c` as cleaned levels: str (aliases mapped, ints as labels) or None if missing.

    Each distinct raw value is cleaned once: long columns are factorised (C speed), short
    ones go through a bounded per-column cache (one dict lookup per value). Numbers are
    cached only for integer-label columns, where equal numbers (60, 60.0) are one label.
    """
    return _by_distinct(col, lambda values: clean_list(values, c), object)


def map_levels(levels: np.ndarray, table: dict[Any, Any], default: Any, dtype: Any) -> np.ndarray:
    """`table.get(level, default)` for every level (per distinct level for long columns)."""
    return _by_distinct(levels, lambda values: [table.get(v, default) for v in values], dtype)
