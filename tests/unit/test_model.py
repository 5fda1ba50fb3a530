from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor

from houseprices.errors import ModelNotFoundError
from houseprices.model import HousePriceModel, conformal_half_width


def test_conformal_half_width_rank() -> None:
    residuals = np.arange(1, 20, dtype=float)  # n = 19 -> rank ceil(20 * 0.9) = 18
    assert conformal_half_width(residuals, 0.9) == 18.0
    assert conformal_half_width(np.array([3.0, 1.0]), 0.99) == 3.0
    with pytest.raises(ValueError):
        conformal_half_width(np.array([]), 0.9)


def test_conformal_coverage_on_exchangeable_data() -> None:
    rng = np.random.default_rng(1)
    calib, fresh = np.abs(rng.normal(size=2000)), np.abs(rng.normal(size=20000))
    half = conformal_half_width(calib, 0.9)
    assert 0.88 < np.mean(fresh <= half) < 0.92


def _model() -> HousePriceModel:
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    pipe = DummyRegressor(strategy="constant", constant=np.log1p(200_000)).fit(X, [0, 0, 0])
    return HousePriceModel(pipeline=pipe, half_width=0.1, metadata={"model": "dummy"})


def test_predict_frame_interval_brackets_prediction() -> None:
    out = _model().predict_frame(pd.DataFrame({"a": [1.0, 5.0]}))
    assert out["SalePrice"].iloc[0] == pytest.approx(200_000)
    assert (out["lower"] < out["SalePrice"]).all() and (out["SalePrice"] < out["upper"]).all()
    assert out["upper"].iloc[0] == pytest.approx(np.expm1(np.log1p(200_000) + 0.1))


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "m" / "model.joblib"
    _model().save(path)
    loaded = HousePriceModel.load(path)
    assert loaded.metadata == {"model": "dummy"}


def test_load_errors_say_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="make run"):
        HousePriceModel.load(tmp_path / "missing.joblib")
    joblib.dump({"not": "a model"}, tmp_path / "other.joblib")
    with pytest.raises(ModelNotFoundError, match="not a HousePriceModel"):
        HousePriceModel.load(tmp_path / "other.joblib")
