"""Shared fixtures. The real Kaggle files are read in place from $HOUSE_PRICES_DATA."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from houseprices import schema
from houseprices.config import DATA_ENV

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    value = os.environ.get(DATA_ENV)
    if not value:
        pytest.fail(f"{DATA_ENV} is not set: point it at the folder holding the Kaggle files.")
    path = Path(value).resolve()
    if not (path / "train.csv").is_file():
        pytest.fail(f"{DATA_ENV}={value} has no train.csv.")
    return path


@pytest.fixture(scope="session")
def train_raw(data_dir: Path) -> pd.DataFrame:
    return schema.read_csv(data_dir / "train.csv")


@pytest.fixture(scope="session")
def test_raw(data_dir: Path) -> pd.DataFrame:
    return schema.read_csv(data_dir / "test.csv")


@pytest.fixture()
def train_df(train_raw: pd.DataFrame) -> pd.DataFrame:
    return train_raw.copy()


@pytest.fixture()
def test_df(test_raw: pd.DataFrame) -> pd.DataFrame:
    return test_raw.copy()
