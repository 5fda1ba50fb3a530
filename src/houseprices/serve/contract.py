"""The input contract of a prediction request, checked column by column without pandas.

A request names its columns (CSV header, JSON keys) or gives them in the Kaggle order. Columns
are those of test.csv: `Id` (optional, echoed back) and the 79 features. Of the features only
`REQUIRED` must be present and non-empty; any other may be missing or empty and is imputed by
the model exactly as in training. Numeric values must be finite numbers in the schema's range;
text values must be levels of the schema (data_description.txt, plus the real files' spellings).

The result is a `Batch`: one numpy array per column (float64 with NaN for numeric columns,
object with None for text ones). The predictor turns it into the cheapest input its model
accepts: the columns as they are for a model with a fast path, one DataFrame otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from houseprices import schema
from houseprices.serve.errors import InvalidInput, Problem

#: Features a request must give for every row (the strongest predictors; no imputation).
REQUIRED: tuple[str, ...] = ("Neighborhood", "OverallQual", "GrLivArea", "YearBuilt", "YrSold")
#: Cell values read as "missing" (Kaggle's files write NA; JSON writes null).
MISSING_TOKENS = frozenset({"", "NA"})
KNOWN: frozenset[str] = frozenset(schema.COLUMNS)
_NUMERIC = frozenset(schema.NUMERIC)
_LEVELS: dict[str, frozenset[str]] = {c: frozenset(schema.allowed_levels(c)) for c in schema.LEVELS}
_MSSUBCLASS = frozenset(float(c) for c in schema.MSSUBCLASS_CODES)
#: Columns at least this long are converted with numpy; shorter ones (single rows) in Python.
VECTOR_MIN_ROWS = 32
#: At most this many problems are reported per request (the first ones found).
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Batch:
    """Validated rows: `columns` maps every feature to an array of `n_rows` values."""

    columns: dict[str, np.ndarray]
    n_rows: int
    ids: np.ndarray | None = None
    given: tuple[str, ...] = field(default_factory=tuple)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The features as one DataFrame in the Kaggle column order (no Id)."""
        return pd.DataFrame({name: self.columns[name] for name in schema.FEATURES}, copy=False)

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        """The features row by row (NaN/None for missing values)."""
        names = schema.FEATURES
        cols = [self.columns[n].tolist() for n in names]
        return [dict(zip(names, values, strict=True)) for values in zip(*cols, strict=True)]


_NUMBER_TYPES = frozenset({str, int, float})


def _missing_mask(obj: np.ndarray, has_none: bool) -> np.ndarray:
    mask = np.asarray((obj == "") | (obj == "NA"), dtype=bool)
    if has_none:
        mask |= np.fromiter((v is None for v in obj), dtype=bool, count=len(obj))
    return mask


def _numeric_fast(name: str, values: Sequence[Any]) -> np.ndarray | None:
    """Vectorised conversion of clean columns; None when any value needs a closer look."""
    types = set(map(type, values))
    if not types <= _NUMBER_TYPES | {type(None)}:
        return None
    obj = np.asarray(values, dtype=object)
    if obj.ndim != 1:
        return None
    missing = _missing_mask(obj, type(None) in types)
    out = np.full(len(obj), np.nan)
    try:
        out[~missing] = obj[~missing].astype(np.float64)
    except (ValueError, TypeError, OverflowError):
        return None
    if not np.isfinite(out[~missing]).all():
        return None
    return out


def _numeric(name: str, values: Sequence[Any], problems: list[Problem]) -> np.ndarray:
    fast = _numeric_fast(name, values) if len(values) >= VECTOR_MIN_ROWS else None
    if fast is not None:
        return _check_range(name, values, fast, problems)
    out = np.empty(len(values), dtype=np.float64)
    bad = 0
    lo, hi = schema.NUMERIC_RANGES[name]
    in_range = True
    for i, v in enumerate(values):
        kind = type(v)
        if v is None or (kind is str and v in MISSING_TOKENS):
            out[i] = math.nan
            continue
        number: float | None = None
        if kind is str:
            try:
                number = float(v)
            except ValueError:
                problem = "not a number (numeric column; leave it empty or NA if unknown)"
        elif kind is int or kind is float:
            number = float(v)
        else:
            problem = f"expected a number, got {kind.__name__}"
        if number is not None:
            if math.isfinite(number):
                out[i] = number
                if (lo is not None and number < lo) or (hi is not None and number > hi):
                    in_range = False
                continue
            problem = "not a finite number (NaN/inf are not allowed; leave it empty if unknown)"
        bad += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(name, problem, i, v))
    if bad or (in_range and name != "MSSubClass"):  # checked value by value above
        return out
    return _check_range(name, values, out, problems)


def _check_range(
    name: str, values: Sequence[Any], out: np.ndarray, problems: list[Problem]
) -> np.ndarray:
    lo, hi = schema.NUMERIC_RANGES[name]
    with np.errstate(invalid="ignore"):
        if name == "MSSubClass":
            wrong = np.fromiter(
                (v == v and v not in _MSSUBCLASS for v in out.tolist()), dtype=bool, count=len(out)
            )
            allowed = f"one of {list(schema.MSSUBCLASS_CODES)}"
        else:
            wrong = np.zeros(len(out), dtype=bool)
            if lo is not None:
                wrong |= out < lo
            if hi is not None:
                wrong |= out > hi
            allowed = f"between {lo} and {hi if hi is not None else 'any'}"
    for i in np.flatnonzero(wrong)[: MAX_PROBLEMS - len(problems)]:
        problems.append(Problem(name, f"out of range: must be {allowed}", int(i), values[i]))
    return out


def _text(name: str, values: Sequence[Any], problems: list[Problem]) -> np.ndarray:
    levels = _LEVELS[name]
    try:
        seen = set(values) if len(values) >= VECTOR_MIN_ROWS else {object()}
    except TypeError:  # unhashable JSON values (lists, objects): checked one by one below
        seen = {object()}
    if seen <= levels | MISSING_TOKENS | {None} and all(type(v) is str for v in seen - {None}):
        obj = np.asarray(values, dtype=object)
        if obj.ndim == 1:
            if seen & (MISSING_TOKENS | {None}):
                obj[_missing_mask(obj, None in seen)] = None
            return obj
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        if v is None or (type(v) is str and v in MISSING_TOKENS):
            out[i] = None
        elif type(v) is str and v in levels:
            out[i] = v
        elif len(problems) < MAX_PROBLEMS:
            problem = (
                f"unknown level (allowed: {', '.join(sorted(levels))}; empty/NA if absent)"
                if isinstance(v, str)
                else f"expected text, got {type(v).__name__}"
            )
            problems.append(Problem(name, problem, i, v))
    return out


def _ids(values: Sequence[Any], problems: list[Problem]) -> np.ndarray:
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        number: float | None = None
        if type(v) is int:
            number = v
        elif type(v) is str or type(v) is float:
            try:
                number = float(v)
            except ValueError:
                number = None
        if number is None or not math.isfinite(number) or number != int(number) or number < 1:
            if len(problems) < MAX_PROBLEMS:
                problems.append(Problem(schema.ID, "Id must be a whole number >= 1", i, v))
            continue
        out[i] = int(number)
    return out


def check_names(names: Sequence[str]) -> None:
    """Unknown or duplicated column names -> InvalidInput naming them."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(Problem(name, "duplicated column (give each column once)"))
        elif name not in KNOWN:
            hint = " (the target is not an input; remove it)" if name == schema.TARGET else ""
            problems.append(Problem(name, f"unknown column{hint}"))
        seen.add(name)
    if problems:
        raise InvalidInput(
            f"Unknown or duplicated column(s): {', '.join(p.field or '' for p in problems)}. "
            "Use the column names of Kaggle's test.csv (Id is optional).",
            problems[:MAX_PROBLEMS],
        )


def build_batch(columns: Mapping[str, Sequence[Any]], n_rows: int) -> Batch:
    """Validate raw column values (strings, numbers, None) into a Batch, or raise InvalidInput."""
    if n_rows == 0:
        raise InvalidInput("The request has no rows: send at least one house.")
    check_names(list(columns))
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InvalidInput(
            f"Missing required column(s) {missing}; every row needs {list(REQUIRED)} "
            "(other columns may be left out and are imputed as in training).",
            [Problem(c, "missing required column") for c in missing],
        )
    problems: list[Problem] = []
    typed: dict[str, np.ndarray] = {}
    for name in schema.FEATURES:
        values = columns.get(name)
        if values is None:
            typed[name] = (
                np.full(n_rows, np.nan) if name in _NUMERIC else np.full(n_rows, None, object)
            )
        elif name in _NUMERIC:
            typed[name] = _numeric(name, values, problems)
        else:
            typed[name] = _text(name, values, problems)
    for name in REQUIRED:
        arr = typed[name]
        empty = np.isnan(arr) if arr.dtype.kind == "f" else pd.isna(arr)
        for i in np.flatnonzero(empty)[: max(0, MAX_PROBLEMS - len(problems))]:
            if not any(p.field == name and p.row == i for p in problems):
                problems.append(Problem(name, "required value is empty", int(i)))
    ids = _ids(columns[schema.ID], problems) if schema.ID in columns else None
    if problems:
        fields = sorted({p.field or "" for p in problems})
        raise InvalidInput(
            f"Invalid value(s) in column(s) {', '.join(fields)}: see details (row is 0-based).",
            problems,
        )
    given = tuple(c for c in columns if c != schema.ID)
    return Batch(columns=typed, n_rows=n_rows, ids=ids, given=given)
