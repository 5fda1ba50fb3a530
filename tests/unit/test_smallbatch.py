"""smallbatch: HouseFeaturizer's few-rows path gives exactly the column-at-a-time features."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from houseprices import smallbatch
from houseprices.domain import LINEAR_SQUARES, RAW_COLUMNS
from houseprices.features import HouseFeaturizer

ENCODINGS = {
    "onehot": {"encoding": "onehot", "squares": LINEAR_SQUARES},
    "ordinal": {"encoding": "ordinal"},
}


@pytest.fixture(scope="module")
def xy(train_raw: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    return train_raw.drop(columns=["SalePrice"]), np.log1p(train_raw["SalePrice"].to_numpy(float))


@pytest.fixture(scope="module")
def every_house(xy, test_raw: pd.DataFrame) -> pd.DataFrame:
    """Every row of train.csv (features only) and test.csv."""
    return pd.concat([xy[0], test_raw], ignore_index=True)


@pytest.fixture(scope="module", params=sorted(ENCODINGS))
def fitted(request: pytest.FixtureRequest, xy) -> HouseFeaturizer:
    X, y = xy
    return HouseFeaturizer(**ENCODINGS[request.param]).fit(X, y)


def large_path(fz: HouseFeaturizer, data: Any) -> np.ndarray:
    """`fz.transform(data)` through the column-at-a-time code, whatever the number of rows."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(smallbatch, "SMALL_ROWS", 0)
        return fz.transform(data)


@pytest.fixture
def small_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Row counts of the batches that took the small path (clean and encode both)."""
    calls: list[int] = []
    clean, encode = smallbatch.clean, smallbatch.encode

    def counting_clean(fz: HouseFeaturizer, cols: dict[str, np.ndarray]) -> Any:
        calls.append(len(cols["LotArea"]))
        return clean(fz, cols)

    def counting_encode(fz: HouseFeaturizer, cleaned: Any) -> np.ndarray:
        calls.append(-len(cleaned[0]["LotArea"]))
        return encode(fz, cleaned)

    monkeypatch.setattr(smallbatch, "clean", counting_clean)
    monkeypatch.setattr(smallbatch, "encode", counting_encode)
    yield calls


def chunks(n_rows: int) -> Iterator[tuple[int, int]]:
    """Consecutive row ranges covering `n_rows`, of sizes 1, 2, ..., SMALL_ROWS - 1, 1, 2, ..."""
    start = 0
    for size in itertools.cycle(range(1, smallbatch.SMALL_ROWS)):
        if start >= n_rows:
            return
        yield start, min(start + size, n_rows)
        start += size


def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")


# ---------------------------------------------------------------- the Kaggle rows


def test_every_kaggle_row_in_small_chunks_equals_the_large_path(
    fitted: HouseFeaturizer, every_house: pd.DataFrame, small_calls: list[int]
) -> None:
    reference = large_path(fitted, every_house)
    assert small_calls == []  # the reference did not take the small path
    assert reference.shape == (len(every_house), len(fitted.get_feature_names_out()))
    arrays = {c: every_house[c].to_numpy() for c in every_house.columns}
    records = records_of(every_house)
    n_chunks = 0
    for start, end in chunks(len(every_house)):
        expected = reference[start:end]
        inputs = {
            "frame": every_house.iloc[start:end],
            "dict of arrays": {c: a[start:end] for c, a in arrays.items()},
            "records": records[start:end],
        }
        for kind, data in inputs.items():
            out = fitted.transform(data)
            assert np.array_equal(out, expected), f"{kind}, rows {start}:{end}"
        n_chunks += 1
    # every chunk of every input kind was cleaned and encoded on the small path
    assert sorted(small_calls) == sorted(
        sign * (end - start)
        for start, end in chunks(len(every_house))
        for _ in range(3)
        for sign in (1, -1)
    )
    assert n_chunks > 100


def test_records_with_none_equal_records_with_nan(
    fitted: HouseFeaturizer, every_house: pd.DataFrame
) -> None:
    rows = every_house.iloc[100:131]
    with_nan = records_of(rows)
    with_none = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in with_nan]
    expected = large_path(fitted, rows)
    assert np.array_equal(fitted.transform(with_none), expected)
    assert np.array_equal(fitted.transform(with_nan), expected)


# ---------------------------------------------------------------- malformed and edge input


def _base(every_house: pd.DataFrame) -> list[dict[str, Any]]:
    return records_of(every_house.iloc[[0, 5, 17, 1460, 1500, 2000]].astype(object))


def _changed(rows: list[dict[str, Any]], *changes: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**row, **change} for row, change in zip(rows, changes, strict=False)] + rows[
        len(changes) :
    ]


EDGE_CASES: dict[str, Callable[[list[dict[str, Any]]], list[dict[str, Any]]]] = {
    "unseen levels": lambda rows: _changed(
        rows,
        {"Neighborhood": "Atlantis"},
        {"MSZoning": "XX", "Street": "Gold"},
        {"Exterior1st": "Adobe", "PoolQC": "Superb"},
        {"MSSubClass": 999},
        {"SaleType": ""},
        {"Heating": "NA"},
    ),
    "alias spellings": lambda rows: _changed(
        rows,
        {"Neighborhood": "NAmes"},
        {"MSZoning": "C (all)"},
        {"BldgType": "Twnhs"},
        {"BldgType": "Duplex", "Exterior2nd": "Wd Shng"},
        {"BldgType": "2fmCon", "Exterior2nd": "CmentBd"},
        {"Exterior2nd": "Brk Cmn"},
    ),
    "missing columns": lambda rows: [
        {k: v for k, v in row.items() if k not in {"LotFrontage", "Fence", "GarageYrBlt", "Alley"}}
        for row in rows
    ],
    "None and NaN everywhere but a few columns": lambda rows: [
        {c: (np.nan if i % 2 else None) for c in RAW_COLUMNS}
        | {"GrLivArea": 1000.0 + 100 * i, "Neighborhood": row["Neighborhood"], "YrSold": 2008}
        for i, row in enumerate(rows)
    ],
    "numeric strings": lambda rows: _changed(
        rows,
        {"GrLivArea": "1710", "LotArea": "8450.0"},
        {"YearBuilt": " 2003 ", "OverallQual": "7"},
        {"GarageYrBlt": "1e3", "MasVnrArea": ""},
        {"LotFrontage": "NA", "YrSold": "2008"},
        {"MoSold": "7.0", "TotalBsmtSF": "0"},
    ),
    "non-numeric strings in numeric columns": lambda rows: _changed(
        rows,
        {"GrLivArea": "big"},
        {"LotArea": "n/a", "LotFrontage": "?"},
        {"YearBuilt": "nineteen-ten", "MasVnrArea": "None"},
        {"GarageCars": "two", "YrSold": "last year"},
        {"OverallQual": [7], "LotArea": {"sq ft": 1}, "MoSold": "July"},
        {"BsmtFinSF1": True},
    ),
    "MSSubClass as int, float and string": lambda rows: _changed(
        rows,
        {"MSSubClass": 60},
        {"MSSubClass": 60.0},
        {"MSSubClass": "60"},
        {"MSSubClass": "60.0"},
        {"MSSubClass": np.int64(20)},
        {"MSSubClass": None},
    ),
    "garage year typos and imputation": lambda rows: _changed(
        rows,
        {"GarageYrBlt": 2207, "YrSold": 2007},
        {"LotFrontage": None, "Neighborhood": "Blueste"},
        {"LotFrontage": np.nan, "Neighborhood": None},
        {"YrSold": None, "GarageYrBlt": None},
        {"TotalBsmtSF": None, "GarageArea": np.nan, "BsmtFullBath": ""},
        {"KitchenQual": None, "Functional": np.nan, "Electrical": None},
    ),
}


def _as_inputs(rows: list[dict[str, Any]]) -> dict[str, Any]:
    names = list(dict.fromkeys(k for r in rows for k in r))
    return {
        "records": rows,
        "frame": pd.DataFrame(
            {n: pd.Series([r.get(n) for r in rows], dtype=object) for n in names}
        ),
        "dict of arrays": {
            n: np.array([r.get(n) for r in rows] + [0], dtype=object)[:-1] for n in names
        },
    }


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_malformed_and_edge_input_agree_on_both_paths(
    fitted: HouseFeaturizer, every_house: pd.DataFrame, case: str, small_calls: list[int]
) -> None:
    rows = EDGE_CASES[case](_base(every_house))
    for kind, data in _as_inputs(rows).items():
        small = fitted.transform(data)
        large = large_path(fitted, data)
        assert small.shape == (len(rows), len(fitted.get_feature_names_out()))
        assert np.isfinite(small).all(), f"{kind}"
        assert np.array_equal(small, large), f"{kind}"
    assert small_calls.count(len(rows)) == 3  # the small path did run for each input kind


def test_equal_spellings_give_equal_features(fitted: HouseFeaturizer, every_house) -> None:
    row = _base(every_house)[0]
    spellings = [
        [{**row, "MSSubClass": v} for v in (60, 60.0, "60", "60.0", np.int64(60))],
        [{**row, "Neighborhood": v} for v in ("NAmes", "Names")],
        [{**row, "BldgType": v} for v in ("Twnhs", "TwnhsI")],
        [{**row, "MSZoning": v} for v in ("C (all)", "C")],
    ]
    for rows in spellings:
        out = fitted.transform(rows)
        assert (out == out[0]).all(), rows[0]


def test_a_single_row_given_as_scalars(fitted: HouseFeaturizer, every_house) -> None:
    row = {k: v for k, v in _base(every_house)[1].items() if not pd.isna(v)}
    out = fitted.transform(row)  # a dict of scalars: one row
    assert out.shape == (1, len(fitted.get_feature_names_out()))
    assert np.array_equal(out, large_path(fitted, row))
    assert np.array_equal(out, large_path(fitted, [row]))


def test_typed_numpy_columns(fitted: HouseFeaturizer) -> None:
    data = {
        "GrLivArea": np.array([1500, 1600, 900]),
        "LotArea": np.array([8000.5, np.nan, 3000.0]),
        "OverallQual": np.array([7, 5, 3], dtype=np.int8),
        "Neighborhood": np.array(["NAmes", "OldTown", "Atlantis"]),
        "MSSubClass": np.array([20, 60, 75]),
        "CentralAir": np.array([True, False, True]),
    }
    out = fitted.transform(data)
    assert np.isfinite(out).all()
    assert np.array_equal(out, large_path(fitted, data))


def test_an_infinite_integer_label_is_an_unseen_level(fitted: HouseFeaturizer, every_house) -> None:
    rows = _changed(_base(every_house), {"YrSold": float("inf")}, {"MSSubClass": "inf"})
    assert np.array_equal(fitted.transform(rows), large_path(fitted, rows))


def test_an_unhashable_integer_label_is_an_unseen_level(
    fitted: HouseFeaturizer, every_house
) -> None:
    """A list or dict where a label belongs: no level at all, on both paths (it used to be
    put in the level cache: TypeError)."""
    rows = _changed(_base(every_house), {"MoSold": [7]}, {"MSSubClass": {"code": 60}})
    out = fitted.transform(rows)
    assert np.isfinite(out).all()
    assert np.array_equal(out, large_path(fitted, rows))


# ---------------------------------------------------------------- refit


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_refit_drops_the_derived_tables(xy, every_house, encoding: str) -> None:
    X, y = xy
    rows = _changed(
        _base(every_house),
        {"YearBuilt": None, "OverallQual": None, "LotFrontage": None},
        {"GrLivArea": None, "TotRmsAbvGrd": None, "Neighborhood": "Atlantis"},
    )
    fz = HouseFeaturizer(**ENCODINGS[encoding]).fit(X, y)
    first = fz.transform(rows)  # small path: derives its tables from this fit
    assert any(key in fz.__dict__ for key in HouseFeaturizer.DERIVED)
    assert np.array_equal(first, large_path(fz, rows))
    derived = {k: fz.__dict__[k] for k in HouseFeaturizer.DERIVED if k in fz.__dict__}

    fz.fit(X.iloc[:250], y[:250])
    assert not any(key in fz.__dict__ for key in HouseFeaturizer.DERIVED)
    second = fz.transform(rows)
    assert second.shape == (len(rows), len(fz.get_feature_names_out()))
    assert np.array_equal(second, large_path(fz, rows))
    # tables kept from the first fit would have given other features
    stale = copy.copy(fz)
    stale.__dict__.update(derived)
    kept = stale.transform(rows)
    assert kept.shape != second.shape or not np.array_equal(kept, second)
