"""contract: raw column values -> typed Batch, or InvalidInput naming the field."""

from __future__ import annotations

import math

import numpy as np
import pytest

from houseprices import schema
from houseprices.serve.contract import MAX_ID, REQUIRED, build_batch, check_names
from houseprices.serve.errors import InvalidInput
from tests.unit.serve.serve_helpers import house


def columns(*rows: dict[str, object]) -> dict[str, list[object]]:
    names = list(dict.fromkeys(k for r in rows for k in r))
    return {n: [r.get(n) for r in rows] for n in names}


def test_typed_arrays_and_imputable_missing_columns() -> None:
    batch = build_batch(columns(house(), house(GrLivArea="1234.5", MSZoning="NA")), 2)
    assert batch.n_rows == 2
    assert set(batch.columns) == set(schema.FEATURES)
    assert batch.columns["GrLivArea"].dtype == np.float64
    assert batch.columns["GrLivArea"].tolist() == [1700.0, 1234.5]
    assert batch.columns["MSZoning"].tolist() == ["RL", None]
    assert np.isnan(batch.columns["PoolArea"]).all()  # not given: imputed by the model
    assert batch.columns["PoolQC"].tolist() == [None, None]
    assert batch.ids is None
    assert "PoolArea" not in batch.given


def test_frame_and_records_views() -> None:
    batch = build_batch(columns(house(Id=5)), 1)
    assert list(batch.frame.columns) == list(schema.FEATURES)
    assert batch.frame["GrLivArea"].iloc[0] == 1700.0
    assert batch.records[0]["Neighborhood"] == "CollgCr"
    assert batch.ids is not None and batch.ids.tolist() == [5]


@pytest.mark.parametrize("token", ["", "NA", None])
def test_missing_tokens(token: object) -> None:
    batch = build_batch(columns(house(LotFrontage=token, Alley=token)), 1)
    assert math.isnan(batch.columns["LotFrontage"][0])
    assert batch.columns["Alley"][0] is None


def test_aliases_of_the_real_files_are_accepted() -> None:
    batch = build_batch(columns(house(MSZoning="C (all)", Neighborhood="NAmes")), 1)
    assert batch.columns["MSZoning"][0] == "C (all)"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("LotArea", "abc", "not a number"),
        ("LotArea", "nan", "not a finite number"),
        ("LotArea", "inf", "not a finite number"),
        ("LotArea", float("-inf"), "not a finite number"),
        ("LotArea", True, "expected a number"),
        ("LotArea", [1], "expected a number"),
        ("LotArea", -5, "out of range"),
        ("OverallQual", 11, "out of range"),
        ("MSSubClass", 25, "out of range"),
        ("MSZoning", "XX", "unknown level"),
        ("MSZoning", 3, "expected text"),
        ("Neighborhood", "", "required value is empty"),
        ("GrLivArea", None, "required value is empty"),
        ("Id", "x", "Id must be"),
        ("Id", 0, "Id must be"),
        ("Id", 1.5, "Id must be"),
    ],
)
def test_bad_values_name_the_field(field: str, value: object, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        build_batch(columns(house(**{field: value})), 1)
    assert err.value.field == field
    assert words in err.value.problems[0].problem
    assert err.value.problems[0].row == 0
    assert err.value.status == 400


def test_every_problem_is_reported_with_its_row() -> None:
    with pytest.raises(InvalidInput) as err:
        build_batch(columns(house(), house(LotArea="x"), house(Street="Tar")), 3)
    found = {(p.field, p.row) for p in err.value.problems}
    assert found == {("LotArea", 1), ("Street", 2)}


def test_required_columns() -> None:
    row = house()
    del row["GrLivArea"]
    with pytest.raises(InvalidInput, match="Missing required column") as err:
        build_batch(columns(row), 1)
    assert err.value.field == "GrLivArea"
    assert "GrLivArea" in REQUIRED


def test_unknown_duplicated_and_target_columns() -> None:
    with pytest.raises(InvalidInput) as err:
        check_names(["GrLivArea", "Bogus", "GrLivArea", "SalePrice"])
    problems = {p.field: p.problem for p in err.value.problems}
    assert problems["Bogus"] == "unknown column"
    assert problems["GrLivArea"].startswith("duplicated")
    assert "target" in problems["SalePrice"]


def test_no_rows() -> None:
    with pytest.raises(InvalidInput, match="no rows"):
        build_batch({}, 0)


def test_no_level_equals_a_column_name() -> None:
    # CSV header detection relies on it: a data row never contains a column name.
    levels = {v for c in schema.LEVELS for v in schema.allowed_levels(c)}
    assert not levels & set(schema.COLUMNS)


def test_long_columns_take_the_vectorised_path_with_the_same_result() -> None:
    rows = [
        house(
            GrLivArea=str(1000 + i),
            LotFrontage="NA" if i % 3 else "65",
            Alley=None if i % 2 else "Pave",
        )
        for i in range(40)
    ]
    long = build_batch(columns(*rows), 40)
    short = [build_batch(columns(r), 1) for r in rows[:3]]
    assert long.columns["GrLivArea"][:3].tolist() == [s.columns["GrLivArea"][0] for s in short]
    assert np.isnan(long.columns["LotFrontage"][1]) and long.columns["LotFrontage"][0] == 65.0
    assert long.columns["Alley"][:2].tolist() == ["Pave", None]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("LotArea", "abc", "not a number"),
        ("LotArea", "inf", "not a finite"),
        ("LotArea", True, "expected a number"),
        ("LotArea", -3, "out of range"),
        ("Street", "Gold", "unknown level"),
        ("Street", ["x"], "expected text"),
    ],
)
def test_long_columns_report_the_bad_row(field: str, value: object, words: str) -> None:
    rows = [house() for _ in range(40)]
    rows[37] = house(**{field: value})
    with pytest.raises(InvalidInput) as err:
        build_batch(columns(*rows), 40)
    assert (err.value.field, err.value.problems[0].row) == (field, 37)
    assert words in err.value.problems[0].problem


@pytest.mark.parametrize("bad", [2**64, 10**30, -(2**64), 2**53 + 2, "1e30", 0, "0"])
def test_ids_out_of_range_are_400_not_an_overflow(bad: object) -> None:
    """A JSON integer beyond int64 once escaped as OverflowError (a 500)."""
    row = house(Id=bad)
    with pytest.raises(InvalidInput) as caught:
        build_batch({k: [v] for k, v in row.items()}, 1)
    assert caught.value.field == "Id"
    ok = build_batch({k: [v] for k, v in house(Id=MAX_ID).items()}, 1)
    assert ok.ids is not None and ok.ids[0] == MAX_ID
