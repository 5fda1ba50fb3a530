"""contract + batching: small batches validated into two 2-D blocks give the same columns and
the same problems as the vectorised path, and merge like any other batch."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from houseprices import schema
from houseprices.serve import contract
from houseprices.serve.batching import merge
from houseprices.serve.contract import (
    MAX_PROBLEMS,
    VECTOR_MIN_ROWS,
    Batch,
    build_batch,
    check_names,
    columns_of,
)
from houseprices.serve.errors import InvalidInput
from tests.unit.serve.serve_helpers import house

LARGE = VECTOR_MIN_ROWS + 8


def columns(*rows: dict[str, Any]) -> dict[str, list[Any]]:
    names = list(dict.fromkeys(k for r in rows for k in r))
    return {n: [r.get(n) for r in rows] for n in names}


def varied_rows(n: int) -> list[dict[str, Any]]:
    """Rows exercising every conversion: numbers as int, float and text, missing tokens,
    None, aliases, absent keys (a missing cell in the columns) and Ids."""
    rows = []
    for i in range(n):
        row = house(
            Id=i + 1 if i % 4 else str(i + 1),
            GrLivArea=[1500, 1710.5, "1234", " 2000 ", "1e3"][i % 5],
            LotFrontage=[65, None, "", "NA", "80.0", 70.25][i % 6],
            MSSubClass=[60, 20.0, "120", "190.0"][i % 4],
            Alley=[None, "Pave", "", "NA", "Grvl"][i % 5],
            MSZoning=["RL", "C (all)", "RM", None][i % 4],
            Neighborhood=["CollgCr", "NAmes", "OldTown"][i % 3],
            BldgType=["1Fam", "Twnhs", "Duplex", "2fmCon", "NA"][i % 5],
            PoolArea=[0, "0", None][i % 3],
            MasVnrArea=0.0 if i % 2 else "NA",
        )
        row["PoolQC"] = "Ex" if i % 7 == 3 else None
        if i % 3 == 2:
            del row["GarageCars"]  # absent in some records: None in the columns
        rows.append(row)
    return rows


def assert_same_column(name: str, small: np.ndarray, large: np.ndarray) -> None:
    assert small.dtype == large.dtype, name
    assert small.shape == large.shape, name
    if small.dtype == np.float64:
        assert np.array_equal(np.isnan(small), np.isnan(large)), name
        assert np.array_equal(small, large, equal_nan=True), name
    else:
        assert small.dtype == object, name
        assert [v is None for v in small] == [v is None for v in large], name
        assert small.tolist() == large.tolist(), name
        assert all(v is None or type(v) is str for v in small), name


def comparable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records with NaN spelled "NaN" (NaN != NaN would fail any comparison)."""
    return [
        {k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
        for r in records
    ]


def assert_same_batch(small: Batch, large: Batch, rows: slice) -> None:
    assert list(small.columns) == list(schema.FEATURES)
    for name in schema.FEATURES:
        assert_same_column(name, small.columns[name], large.columns[name][rows])


# ---------------------------------------------------------------- columns


@pytest.mark.parametrize("n_small", [1, 5, VECTOR_MIN_ROWS - 1])
def test_small_batches_hold_the_columns_of_the_vectorised_path(n_small: int) -> None:
    rows = varied_rows(LARGE)
    large = build_batch(columns(*rows), LARGE)
    small = build_batch(columns(*rows[:n_small]), n_small)
    assert large.blocks is None and small.blocks is not None
    assert small.n_rows == n_small
    assert_same_batch(small, large, slice(0, n_small))
    assert small.ids is not None and large.ids is not None
    assert small.ids.tolist() == large.ids[:n_small].tolist() == list(range(1, n_small + 1))
    assert small.given == large.given
    assert comparable(small.records) == comparable(large.records[:n_small])


def test_a_small_batch_with_clean_columns_matches_the_fast_vectorised_conversion() -> None:
    """Columns of only numbers / only levels take numpy's conversion in a large batch."""
    rows = [house(GrLivArea=1000 + i, LotArea=str(8000 + i), Alley=None) for i in range(LARGE)]
    large = build_batch(columns(*rows), LARGE)
    small = build_batch(columns(*rows[:3]), 3)
    assert_same_batch(small, large, slice(0, 3))


def test_the_blocks_back_the_columns() -> None:
    small = build_batch(columns(*varied_rows(4)), 4)
    assert small.blocks is not None
    numeric, text = small.blocks
    assert numeric.dtype == np.float64 and text.dtype == object
    assert numeric.shape == (len(contract.NUMERIC_FEATURES), 4)
    assert text.shape == (len(contract.TEXT_FEATURES), 4)
    assert len(contract.NUMERIC_FEATURES) + len(contract.TEXT_FEATURES) == len(schema.FEATURES)
    for name, column in small.columns.items():
        block = numeric if name in contract.NUMERIC_FEATURES else text
        assert np.shares_memory(column, block), name
    rebuilt = columns_of(small.blocks)
    assert list(rebuilt) == list(schema.FEATURES)
    for name in schema.FEATURES:
        assert_same_column(name, rebuilt[name], small.columns[name])


def test_columns_not_given_are_all_missing() -> None:
    only = {c: [house()[c]] * 2 for c in contract.REQUIRED}
    small = build_batch(only, 2)
    large = build_batch({c: v * (LARGE // 2) for c, v in only.items()}, LARGE)
    assert_same_batch(small, large, slice(0, 2))
    assert np.isnan(small.columns["LotArea"]).all()
    assert small.columns["Alley"].tolist() == [None, None]


# ---------------------------------------------------------------- problems


def problems_of(rows: list[dict[str, Any]]) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        build_batch(columns(*rows), len(rows))
    return err.value


def details(err: InvalidInput) -> list[tuple[Any, ...]]:
    return [(p.field, p.row, p.problem, repr(p.value)) for p in err.problems]


BAD_VALUES = [
    ("LotArea", "abc", "not a number"),
    ("LotArea", "1,000", "not a number"),
    ("LotArea", [1], "expected a number"),
    ("LotArea", {"sq ft": 1}, "expected a number"),
    ("LotArea", True, "expected a number"),
    ("LotArea", "inf", "not a finite number"),
    ("LotArea", float("inf"), "not a finite number"),
    ("LotArea", "nan", "not a finite number"),
    ("LotArea", -5, "out of range"),
    ("LotArea", "1e9", "out of range"),
    ("OverallQual", 11, "out of range"),
    ("OverallQual", 0.5, "out of range"),
    ("MSSubClass", 25, "out of range"),
    ("MSSubClass", "25", "out of range"),
    ("MSSubClass", 60.5, "out of range"),
    ("MSZoning", "XX", "unknown level"),
    ("MSZoning", "rl", "unknown level"),
    ("MSZoning", 3, "expected text"),
    ("Street", ["Pave"], "expected text"),
    ("Street", {"name": "Pave"}, "expected text"),
    ("Alley", True, "expected text"),
    ("Neighborhood", "", "required value is empty"),
    ("GrLivArea", None, "required value is empty"),
    ("Id", "x", "Id must be"),
]


@pytest.mark.parametrize(("field", "value", "words"), BAD_VALUES)
def test_bad_values_give_the_same_problems_small_and_large(
    field: str, value: object, words: str
) -> None:
    rows = [house(Id=i + 1) for i in range(LARGE)]
    rows[2][field] = value
    small, large = problems_of(rows[:5]), problems_of(rows)
    assert details(small) == details(large)
    assert small.message == large.message
    assert small.field == large.field == field
    assert small.problems[0].row == 2 and words in small.problems[0].problem
    assert small.body() == large.body()


def test_several_bad_columns_give_the_same_set_of_problems() -> None:
    bad = house(MSZoning="XX", LotArea="x", Street=3, OverallQual=12, MSSubClass=25)
    rows = [house() for _ in range(LARGE)]
    rows[1], rows[4] = bad, house(Alley="Gold", GrLivArea=-1)
    small, large = problems_of(rows[:5]), problems_of(rows)
    assert sorted(details(small)) == sorted(details(large))
    assert len(small.problems) == 7
    assert small.message == large.message


def test_problems_come_in_the_same_order_small_and_large() -> None:
    """Kaggle column order in both paths: the error's `field` is the first bad column, and
    past MAX_PROBLEMS the same problems are reported (the small path once reported every
    numeric column before the text columns)."""
    rows = [house() for _ in range(LARGE)]
    rows[0] = house(MSZoning="XX", LotArea="x")  # MSZoning comes before LotArea in Kaggle order
    small, large = problems_of(rows[:1]), problems_of(rows)
    assert small.field == large.field == "MSZoning"
    assert details(small) == details(large)
    many = [house(LotArea="x", MSZoning="XX", Street=1) for _ in range(LARGE)]
    small, large = problems_of(many[: VECTOR_MIN_ROWS - 1]), problems_of(many)
    assert len(small.problems) == MAX_PROBLEMS
    assert details(small) == details(large)
    assert {p.field for p in small.problems} == {"MSZoning"}


def test_at_most_max_problems_are_reported_in_both_paths() -> None:
    rows = [house(LotArea="x", GrLivArea="y") for _ in range(LARGE)]
    small = problems_of(rows[: VECTOR_MIN_ROWS - 1])
    large = problems_of(rows)
    assert len(small.problems) == len(large.problems) == MAX_PROBLEMS
    assert details(small) == details(large)


# ---------------------------------------------------------------- check_names


@pytest.fixture
def fresh_names_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[tuple[str, ...]]]:
    cache: set[tuple[str, ...]] = set()
    monkeypatch.setattr(contract, "_VALID_NAMES", cache)
    yield cache


def test_check_names_caches_valid_lists_only(fresh_names_cache: set[tuple[str, ...]]) -> None:
    valid = ["Id", "GrLivArea", "Neighborhood"]
    check_names(valid)
    check_names(valid)
    assert fresh_names_cache == {tuple(valid)}
    for bad in (["GrLivArea", "Bogus"], ["GrLivArea", "GrLivArea"], ["SalePrice"]):
        for _ in range(3):  # refused every time, never remembered
            with pytest.raises(InvalidInput) as err:
                check_names(bad)
            assert err.value.problems
        assert tuple(bad) not in fresh_names_cache
    assert fresh_names_cache == {tuple(valid)}
    # a valid list is no key for another: order and content matter
    with pytest.raises(InvalidInput):
        check_names([*valid, "GrLivArea"])


def test_check_names_cache_is_bounded(fresh_names_cache: set[tuple[str, ...]]) -> None:
    pairs = itertools.islice(itertools.permutations(schema.FEATURES, 2), 1100)
    for pair in pairs:
        check_names(list(pair))
    assert len(fresh_names_cache) == 1024
    check_names(["Id", "GrLivArea"])  # still accepted once the cache is full
    assert ("Id", "GrLivArea") not in fresh_names_cache
    with pytest.raises(InvalidInput):
        check_names(["Bogus"])


# ---------------------------------------------------------------- merge


def concatenated(batches: list[Batch], name: str) -> np.ndarray:
    return np.concatenate([b.columns[name] for b in batches])


def test_merging_block_batches_equals_concatenating_their_columns() -> None:
    rows = varied_rows(12)
    parts = [rows[:1], rows[1:4], rows[4:9], rows[9:]]
    batches = [build_batch(columns(*p), len(p)) for p in parts]
    assert all(b.blocks is not None for b in batches)
    merged = merge(batches)
    assert merged.n_rows == 12 and merged.blocks is not None
    for name in schema.FEATURES:
        assert_same_column(name, merged.columns[name], concatenated(batches, name))
        block = merged.blocks[0] if name in contract.NUMERIC_FEATURES else merged.blocks[1]
        assert np.shares_memory(merged.columns[name], block)
    # the same rows validated as one batch
    whole = build_batch(columns(*rows), 12)
    assert_same_batch(merged, whole, slice(0, 12))
    assert merged.given == tuple(dict.fromkeys(c for b in batches for c in b.given))
    assert comparable(merged.records) == comparable(whole.records)


def test_merging_block_batches_with_a_large_batch() -> None:
    rows = varied_rows(LARGE + 3)
    small_a = build_batch(columns(*rows[:2]), 2)
    large = build_batch(columns(*rows[2 : LARGE + 2]), LARGE)
    small_b = build_batch(columns(*rows[LARGE + 2 :]), 1)
    assert large.blocks is None
    batches = [small_a, large, small_b]
    merged = merge(batches)
    assert merged.n_rows == LARGE + 3 and merged.blocks is None
    for name in schema.FEATURES:
        assert_same_column(name, merged.columns[name], concatenated(batches, name))
    whole = build_batch(columns(*rows), LARGE + 3)
    assert_same_batch(merged, whole, slice(0, LARGE + 3))
    assert math.isnan(merged.frame["LotFrontage"].iloc[3])


def test_merged_batches_do_not_alias_their_parts() -> None:
    a, b = (build_batch(columns(*varied_rows(2)), 2) for _ in range(2))
    merged = merge([a, b])
    merged.columns["GrLivArea"][0] = -1.0
    assert a.columns["GrLivArea"][0] == 1500.0
