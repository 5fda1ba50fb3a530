"""HouseFeaturizer's clean/encode for a few rows: the serving hot path.

The column-at-a-time code in `features` makes one or more numpy calls per column, each a
microsecond or two whatever the number of rows: about 0.4 ms for one house per featurizer,
most of a single-row prediction. For a few rows the same steps are cheaper on Python lists
(level lookups) and on 2-D blocks (one numpy call for all numeric columns). The arithmetic is
the same, element by element, so the features are identical; the tests compare both paths on
every row of the Kaggle files and on malformed input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from houseprices.domain import (
    NOMINAL,
    NUMERIC,
    ORDINAL_MAPS,
    STRING_COLUMNS,
    ZERO_IF_MISSING,
    clean_list,
    float_column,
)

if TYPE_CHECKING:
    from houseprices.features import HouseFeaturizer

#: batches below this many rows take this path (lists beat per-column numpy calls up to here)
SMALL_ROWS = 32

_ZERO_ROWS = np.array([NUMERIC.index(c) for c in ZERO_IF_MISSING])

Cleaned = tuple[dict[str, np.ndarray], dict[str, Any]]


def clean(fz: HouseFeaturizer, cols: dict[str, np.ndarray]) -> Cleaned:
    """`HouseFeaturizer._clean(cols, fitted=True)` for a few rows; the levels stay lists."""
    block = np.array([float_column(cols[c]) for c in NUMERIC], dtype=float)
    zero = block[_ZERO_ROWS]
    block[_ZERO_ROWS] = np.where(np.isnan(zero), 0.0, zero)
    num = dict(zip(NUMERIC, block, strict=True))
    strs: dict[str, Any] = {c: clean_list(cols[c].tolist(), c) for c in STRING_COLUMNS}
    fz._derive_numeric(num)
    # imputation learned in fit: LotFrontage by neighbourhood, then medians, then modes
    fz._fill_lotfrontage(num, strs["Neighborhood"])
    names, medians = fz.median_table
    values = np.array([num[c] for c in names])
    values = np.where(np.isnan(values), medians, values)
    num.update(zip(names, values, strict=True))
    for c, mode in fz.modes_.items():
        s = strs[c]
        if None in s:
            strs[c] = [mode if v is None else v for v in s]
    return num, strs


def encode(fz: HouseFeaturizer, cleaned: Cleaned) -> np.ndarray:
    """`HouseFeaturizer.encode` for what `clean` above returned."""
    num, strs = cleaned
    n = len(num["LotArea"])
    blocks = [np.array([num[c] for c in NUMERIC]).T]
    defaults = fz.ordinal_default_
    ordinal = np.array(
        [[m.get(v, defaults[c]) for v in strs[c]] for c, m in ORDINAL_MAPS.items()], dtype=float
    )
    blocks.append(ordinal.T)
    if fz.extra_features:
        blocks.append(fz._engineered(num, dict(zip(ORDINAL_MAPS, ordinal, strict=True))))
    if fz.squares:
        blocks.append(fz._squares(blocks))
    if fz.encoding == "ordinal":
        codes = [
            [m.get(v, m["__rare__"]) for v in strs[c]] for c in NOMINAL for m in (fz.levels_[c],)
        ]
        blocks.append(np.array(codes, dtype=float).reshape(len(NOMINAL), n).T)
    else:
        tables, width = fz.onehot_layout
        onehot = np.zeros((n, width))
        for c, pos, other in tables:
            for row, v in enumerate(strs[c]):
                j = pos.get(v, other)
                if j >= 0:
                    onehot[row, j] = 1.0
        blocks.append(onehot)
    return np.hstack(blocks)
