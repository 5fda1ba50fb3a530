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
NUMERIC = frozenset(schema.NUMERIC)
_LEVELS: dict[str, frozenset[str]] = {c: frozenset(schema.allowed_levels(c)) for c in schema.LEVELS}
_MSSUBCLASS = frozenset(float(c) for c in schema.MSSUBCLASS_CODES)
#: Columns at least this long are converted with numpy; shorter ones (single rows) in Python.
VECTOR_MIN_ROWS = 32
#: The largest Id echoed back (every whole number up to it is exact as a float and an int64).
MAX_ID = 2**53
#: At most this many problems are reported per request (the first ones found).
MAX_PROBLEMS = 20


class Batch:
    """Validated rows: `columns` maps every feature to an array of `n_rows` values.

    Small batches keep the numeric and the text features as the rows of two 2-D arrays
    (`blocks`): merging requests then joins two arrays instead of 79, and `columns` (views of
    the blocks) is only made for the merged batch the model sees."""

    def __init__(
        self,
        columns: dict[str, np.ndarray] | None = None,
        n_rows: int = 0,
        ids: np.ndarray | None = None,
        given: tuple[str, ...] = (),
        blocks: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        if columns is None and blocks is None:
            raise ValueError("a Batch needs its columns or its blocks")
        self._columns = columns
        self.n_rows = n_rows
        self.ids = ids
        self.given = given
        self.blocks = blocks

    @property
    def columns(self) -> dict[str, np.ndarray]:
        if self._columns is None:
            self._columns = columns_of(self.blocks)  # type: ignore[arg-type]
        return self._columns

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


NUMERIC_FEATURES = tuple(f for f in schema.FEATURES if f in NUMERIC)
TEXT_FEATURES = tuple(f for f in schema.FEATURES if f not in NUMERIC)


_BLOCK_ROW = {name: (0, i) for i, name in enumerate(NUMERIC_FEATURES)} | {
    name: (1, i) for i, name in enumerate(TEXT_FEATURES)
}


def _block_row(blocks: tuple[np.ndarray, np.ndarray], name: str) -> np.ndarray:
    block, row = _BLOCK_ROW[name]
    return blocks[block][row]


def columns_of(blocks: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    """Feature name -> column view of the (numeric, text) blocks, in the Kaggle order."""
    numeric, text = blocks
    found = dict(zip(NUMERIC_FEATURES, numeric, strict=True))
    found.update(zip(TEXT_FEATURES, text, strict=True))
    return {name: found[name] for name in schema.FEATURES}


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


_NOT_FINITE = "not a finite number (NaN/inf are not allowed; leave it empty if unknown)"


def _allowed(name: str) -> str:
    if name == "MSSubClass":
        return f"one of {list(schema.MSSUBCLASS_CODES)}"
    lo, hi = schema.NUMERIC_RANGES[name]
    return f"between {lo} and {hi if hi is not None else 'any'}"


def _numeric_values(name: str, values: Sequence[Any], problems: list[Problem]) -> list[float]:
    """Value-by-value conversion and checks (type, finiteness, range, MSSubClass codes)."""
    out: list[float] = []
    lo, hi = schema.NUMERIC_RANGES[name]
    codes = _MSSUBCLASS if name == "MSSubClass" else None
    for i, v in enumerate(values):
        kind = type(v)
        if v is None or (kind is str and v in MISSING_TOKENS):
            out.append(math.nan)
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
            out.append(number)
            if not math.isfinite(number):
                problem = _NOT_FINITE
            elif (
                (lo is not None and number < lo)
                or (hi is not None and number > hi)
                or (codes is not None and number not in codes)
            ):
                problem = f"out of range: must be {_allowed(name)}"
            else:
                continue
        else:
            out.append(math.nan)
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(name, problem, i, v))
    return out


def _numeric(name: str, values: Sequence[Any], problems: list[Problem]) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype == np.float64 and values.ndim == 1:
        # parsed already (NaN = missing): only finiteness and range are left to check
        for i in np.flatnonzero(np.isinf(values))[: MAX_PROBLEMS - len(problems)]:
            problems.append(Problem(name, _NOT_FINITE, int(i), float(values[i])))
        return _check_range(name, values, values, problems)
    fast = _numeric_fast(name, values) if len(values) >= VECTOR_MIN_ROWS else None
    if fast is not None:
        return _check_range(name, values, fast, problems)
    return np.array(_numeric_values(name, values, problems), dtype=np.float64)


def _check_range(
    name: str, values: Sequence[Any], out: np.ndarray, problems: list[Problem]
) -> np.ndarray:
    lo, hi = schema.NUMERIC_RANGES[name]
    with np.errstate(invalid="ignore"):
        if name == "MSSubClass":
            wrong = np.fromiter(
                (v == v and v not in _MSSUBCLASS for v in out.tolist()), dtype=bool, count=len(out)
            )
        else:
            wrong = np.zeros(len(out), dtype=bool)
            if lo is not None:
                wrong |= out < lo
            if hi is not None:
                wrong |= out > hi
    problem = f"out of range: must be {_allowed(name)}"
    for i in np.flatnonzero(wrong)[: MAX_PROBLEMS - len(problems)]:
        problems.append(Problem(name, problem, int(i), values[i]))
    return out


def _text_values(name: str, values: Sequence[Any], problems: list[Problem]) -> list[Any]:
    """Value-by-value check: a level of the column, or missing (None)."""
    levels = _LEVELS[name]
    out: list[Any] = []
    for i, v in enumerate(values):
        if v is None or (type(v) is str and v in MISSING_TOKENS):
            out.append(None)
            continue
        if type(v) is str and v in levels:
            out.append(v)
            continue
        out.append(None)
        if len(problems) < MAX_PROBLEMS:
            problem = (
                f"unknown level (allowed: {', '.join(sorted(levels))}; empty/NA if absent)"
                if isinstance(v, str)
                else f"expected text, got {type(v).__name__}"
            )
            problems.append(Problem(name, problem, i, v))
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
            if seen & (MISSING_TOKENS | {None}):  # a copy: `values` may be read-only
                obj = obj.copy()
                obj[_missing_mask(obj, None in seen)] = None
            return obj
    out = np.empty(len(values), dtype=object)
    out[:] = _text_values(name, values, problems)
    return out


def _ids(values: Sequence[Any], problems: list[Problem]) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype == np.float64:  # parsed already
        with np.errstate(invalid="ignore"):
            whole = (values == np.floor(values)) & (values >= 1) & (values <= MAX_ID)
        if whole.all():
            return values.astype(np.int64)
        values = values.tolist()  # the loop below names the bad ones
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
        if (
            number is None
            or not math.isfinite(number)
            or number != int(number)
            or not 1 <= number <= MAX_ID
        ):
            if len(problems) < MAX_PROBLEMS:
                problems.append(Problem(schema.ID, f"Id must be a whole number 1..{MAX_ID}", i, v))
            continue
        out[i] = int(number)
    return out


#: Column lists already found valid (clients send the same header every time); bounded.
_VALID_NAMES: set[tuple[str, ...]] = set()


def check_names(names: Sequence[str]) -> None:
    """Unknown or duplicated column names -> InvalidInput naming them."""
    key = tuple(names)
    if key in _VALID_NAMES:
        return
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
    if len(_VALID_NAMES) < 1024:
        _VALID_NAMES.add(key)


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
    blocks = _small_blocks(columns, n_rows, problems) if n_rows < VECTOR_MIN_ROWS else None
    typed: dict[str, np.ndarray] = {}
    for name in schema.FEATURES if blocks is None else ():
        values = columns.get(name)
        if values is None:
            typed[name] = (
                np.full(n_rows, np.nan) if name in NUMERIC else np.full(n_rows, None, object)
            )
        elif name in NUMERIC:
            typed[name] = _numeric(name, values, problems)
        else:
            typed[name] = _text(name, values, problems)
    for name in REQUIRED:
        arr = typed[name] if blocks is None else _block_row(blocks, name)
        empty = np.isnan(arr) if arr.dtype.kind == "f" else arr == None  # noqa: E711 (elementwise)
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
    return Batch(typed or None, n_rows, ids, given, blocks)


def _numeric_specs() -> list[tuple[str, float, float, frozenset[float] | None]]:
    specs = []
    for name in NUMERIC_FEATURES:
        lo, hi = schema.NUMERIC_RANGES[name]
        lo = -math.inf if lo is None else lo
        hi = math.inf if hi is None else hi
        specs.append((name, lo, hi, _MSSUBCLASS if name == "MSSubClass" else None))
    return specs


#: (name, lowest, highest, allowed codes) of every numeric feature, in NUMERIC_FEATURES order
_NUMERIC_SPECS = _numeric_specs()
_TEXT_SPECS = [(name, _LEVELS[name]) for name in TEXT_FEATURES]
_ORDER = {name: i for i, name in enumerate(schema.FEATURES)}


def _small_blocks(
    columns: Mapping[str, Sequence[Any]], n_rows: int, problems: list[Problem]
) -> tuple[np.ndarray, np.ndarray]:
    """A few rows, checked value by value, as a (numeric, text) pair of 2-D arrays.

    One pass accepts the common values inline (numbers or numeric strings in range, known
    levels, missing tokens); a column with any other value goes through `_numeric_values` /
    `_text_values` afterwards, in the Kaggle column order (as for large batches), which say
    what is wrong with it."""
    nan, none, missing = math.nan, None, MISSING_TOKENS
    redo: list[tuple[str, list[Any], int]] = []  # (column, its block, index in the block)
    numeric: list[Any] = []
    for name, lo, hi, codes in _NUMERIC_SPECS:
        values = columns.get(name)
        if values is None:
            numeric.append([nan] * n_rows)
            continue
        row: list[float] = []
        for v in values:
            kind = type(v)
            if kind is str:
                if v in missing:
                    row.append(nan)
                    continue
                try:
                    x = float(v)
                except ValueError:
                    break
            elif v is None:
                row.append(nan)
                continue
            elif kind is float or kind is int:
                x = float(v)
            else:
                break
            if not lo <= x <= hi or (codes is not None and x not in codes):
                break  # NaN and inf fail too
            row.append(x)
        else:
            numeric.append(row)
            continue
        redo.append((name, numeric, len(numeric)))
        numeric.append(None)
    text: list[Any] = []
    for name, levels in _TEXT_SPECS:
        values = columns.get(name)
        if values is None:
            text.append([none] * n_rows)
            continue
        row_t: list[Any] = []
        for v in values:
            if v is None or (type(v) is str and v in missing):
                row_t.append(none)
            elif type(v) is str and v in levels:
                row_t.append(v)
            else:
                break
        else:
            text.append(row_t)
            continue
        redo.append((name, text, len(text)))
        text.append(None)
    for name, block, i in sorted(redo, key=lambda r: _ORDER[r[0]]):
        check = _numeric_values if block is numeric else _text_values
        block[i] = check(name, columns[name], problems)
    text_block = np.empty((len(TEXT_FEATURES), n_rows), dtype=object)
    text_block[...] = text
    return np.array(numeric, dtype=np.float64), text_block
