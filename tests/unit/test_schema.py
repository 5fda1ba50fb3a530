"""A broken file is stopped with an error naming the column and the rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from houseprices import schema
from houseprices.data import validate_file
from houseprices.errors import DataValidationError


def _fails(frame: pd.DataFrame, with_target: bool = False) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        schema.validate_frame(frame, with_target, source="broken.csv")
    return info.value


def _entry(error: DataValidationError, column: str) -> dict[str, object]:
    matches = [e for e in error.report if e["column"] == column]
    assert matches, f"no report entry for {column}: {error.report}"
    return matches[0]


def test_missing_column(test_df: pd.DataFrame) -> None:
    error = _fails(test_df.drop(columns=["Street"]))
    assert "missing column" in str(_entry(error, "Street")["check"])
    assert "Street" in str(error)


def test_extra_column(test_df: pd.DataFrame) -> None:
    test_df["Color"] = "red"
    assert "unexpected column" in str(_entry(_fails(test_df), "Color")["check"])


def test_wrong_type_names_column_and_line(test_df: pd.DataFrame) -> None:
    test_df["LotArea"] = test_df["LotArea"].astype(object)
    test_df.loc[4, "LotArea"] = "big"
    entry = _entry(_fails(test_df), "LotArea")
    assert "big" in str(entry["values"])


def test_duplicated_id(test_df: pd.DataFrame) -> None:
    test_df.loc[9, "Id"] = test_df.loc[3, "Id"]
    entry = _entry(_fails(test_df), "Id")
    assert entry["csv_lines"] == [5, 11]


def test_negative_area_names_rows_and_ids(test_df: pd.DataFrame) -> None:
    test_df.loc[[2, 7], "GrLivArea"] = -10
    entry = _entry(_fails(test_df), "GrLivArea")
    assert entry["csv_lines"] == [4, 9]
    assert entry["ids"] == [str(test_df.loc[2, "Id"]), str(test_df.loc[7, "Id"])]


def test_unknown_category_level(test_df: pd.DataFrame) -> None:
    test_df.loc[0, "Neighborhood"] = "Atlantis"
    assert "Atlantis" in str(_entry(_fails(test_df), "Neighborhood")["values"])


def test_non_positive_target(train_df: pd.DataFrame) -> None:
    train_df.loc[1, "SalePrice"] = 0
    _entry(_fails(train_df, with_target=True), "SalePrice")


def test_missing_target_values_are_rejected(train_df: pd.DataFrame) -> None:
    train_df.loc[1, "SalePrice"] = np.nan
    _entry(_fails(train_df, with_target=True), "SalePrice")


def test_header_only_file_is_empty(tmp_path: Path, test_df: pd.DataFrame) -> None:
    path = tmp_path / "empty.csv"
    test_df.head(0).to_csv(path, index=False)
    with pytest.raises(DataValidationError, match="no rows"):
        validate_file(path)


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "zero.csv"
    path.write_text("")
    with pytest.raises(DataValidationError, match="empty"):
        validate_file(path)


def test_all_empty_text_column_is_still_text(tmp_path: Path, test_df: pd.DataFrame) -> None:
    path = tmp_path / "few.csv"
    test_df.head(3).assign(PoolQC=np.nan).to_csv(path, index=False)
    frame, summary = validate_file(path)
    assert len(frame) == 3 and summary.rows == 3


def test_coercion_turns_integers_to_float(test_df: pd.DataFrame) -> None:
    valid = schema.validate_frame(test_df.head(5), with_target=False)
    assert valid["GrLivArea"].dtype == float and valid["Id"].dtype.kind == "i"
