"""Fixtures of the serving unit tests (no data files needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from houseprices.model import HousePriceModel
from houseprices.serve.predictor import ModelRegistry, Predictor
from tests.unit.serve.serve_helpers import tiny_model


@pytest.fixture
def model() -> HousePriceModel:
    return tiny_model()


@pytest.fixture
def registry(model: HousePriceModel) -> ModelRegistry:
    return ModelRegistry(
        [Predictor("champion", model), Predictor("challenger", tiny_model(200.0))], "champion"
    )


@pytest.fixture
def model_file(tmp_path: Path, model: HousePriceModel) -> Path:
    path = tmp_path / "model.joblib"
    model.save(path)
    return path
