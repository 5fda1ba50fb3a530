"""Schema and quality checks on the real Kaggle files."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from houseprices import schema
from houseprices.data import read_checksums, sha256, validate_file
from tests.conftest import REPO


@pytest.mark.parametrize(
    "name", ["train.csv", "test.csv", "sample_submission.csv", "data_description.txt"]
)
def test_files_match_recorded_checksums(data_dir: Path, name: str) -> None:
    assert sha256(data_dir / name) == read_checksums(REPO / "data" / "raw.sha256")[name]


def test_train_passes_schema(data_dir: Path) -> None:
    frame, summary = validate_file(data_dir / "train.csv")
    assert frame.shape == (1460, 81)
    assert frame[schema.ID].is_unique and (frame[schema.TARGET] > 0).all()
    assert summary.warnings == []


def test_test_passes_schema_with_the_known_garage_typo_reported(data_dir: Path) -> None:
    frame, summary = validate_file(data_dir / "test.csv")
    assert frame.shape == (1459, 80)
    assert frame[schema.ID].min() == 1461 and frame[schema.ID].max() == 2919
    assert len(summary.warnings) == 1 and "2593" in summary.warnings[0]


def test_ids_do_not_overlap(train_raw: pd.DataFrame, test_raw: pd.DataFrame) -> None:
    assert not set(train_raw[schema.ID]) & set(test_raw[schema.ID])


def test_sample_submission_format(data_dir: Path, test_raw: pd.DataFrame) -> None:
    sample = pd.read_csv(data_dir / "sample_submission.csv")
    assert list(sample.columns) == ["Id", "SalePrice"]
    assert sample["Id"].tolist() == test_raw["Id"].tolist()


def _description_levels(text: str) -> dict[str, set[str]]:
    levels: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        header = re.match(r"^(\w+):\s", line)
        if header:
            current = {"Bedroom": "BedroomAbvGr", "Kitchen": "KitchenAbvGr"}.get(
                header.group(1), header.group(1)
            )
            levels[current] = set()
        elif current and line.strip():
            levels[current].add(line.strip().split("\t")[0].strip())
    return levels


def test_schema_levels_are_those_of_data_description(data_dir: Path) -> None:
    described = _description_levels((data_dir / "data_description.txt").read_text())
    assert set(described) | {"Id", "SalePrice"} == set(schema.COLUMNS) | {"SalePrice"}
    for column, levels in schema.LEVELS.items():
        assert set(levels) == described[column] - {"NA"}, column


def test_every_level_in_the_data_is_described_or_a_declared_alias(
    train_raw: pd.DataFrame, test_raw: pd.DataFrame
) -> None:
    both = pd.concat([train_raw, test_raw])
    for column in schema.CATEGORICAL:
        seen = set(both[column].dropna())
        assert seen <= set(schema.allowed_levels(column)), column
    # every alias is really used by the files (so none is speculative)
    for column, aliases in schema.ALIASES.items():
        assert set(aliases) <= set(both[column].dropna()), column


def test_numeric_values_inside_declared_ranges(
    train_raw: pd.DataFrame, test_raw: pd.DataFrame
) -> None:
    both = pd.concat([train_raw, test_raw])
    for column, (lo, hi) in schema.NUMERIC_RANGES.items():
        values = both[column].dropna()
        assert lo is None or values.min() >= lo, column
        assert hi is None or values.max() <= hi, column


def test_target_distribution_is_plausible(train_raw: pd.DataFrame) -> None:
    price = train_raw[schema.TARGET]
    assert price.min() > 30_000 and price.max() < 1_000_000
    assert 150_000 < price.median() < 200_000
