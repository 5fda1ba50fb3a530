from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from houseprices.models import FAMILIES, kind, make_model
from houseprices.params import load_params
from tests.conftest import REPO

SMALL = {  # small budgets so every family fits in a blink
    "gbr": {"n_estimators": 20},
    "lightgbm": {"n_estimators": 20},
    "xgboost": {"n_estimators": 20},
    "catboost": {"iterations": 20},
    "histgb": {"max_iter": 20},
    "extratrees": {"n_estimators": 10},
}


@pytest.fixture(scope="module")
def sample(train_raw: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    rows = train_raw.sample(300, random_state=0)
    return rows.drop(columns=["SalePrice"]), np.log1p(rows["SalePrice"].to_numpy(float))


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_fits_and_predicts_raw_rows(name: str, sample) -> None:
    X, y = sample
    model = make_model(name, {"model": SMALL.get(name, {})}, seed=0).fit(X, y)
    pred = model.predict(X.head(5))
    assert pred.shape == (5,) and np.isfinite(pred).all()
    assert next(iter(model.named_steps)) == "features"
    assert ("skew" in model.named_steps) == (kind(name) == "linear")


def test_unknown_family_says_which_exist() -> None:
    with pytest.raises(KeyError, match="lasso"):
        make_model("lassso", {}, seed=0)


def test_configured_families_exist_and_cover_the_required_ones() -> None:
    configured = load_params(REPO / "params.yaml").train.families
    assert set(configured) <= set(FAMILIES)
    required = {
        "ridge",
        "lasso",
        "elasticnet",
        "kernelridge",
        "svr",
        "gbr",
        "lightgbm",
        "xgboost",
        "catboost",
    }
    assert required < set(configured)


def test_same_seed_same_predictions(sample) -> None:
    X, y = sample
    a = make_model(
        "lightgbm", {"model": {"n_estimators": 30, "subsample": 0.7, "subsample_freq": 1}}, seed=3
    ).fit(X, y)
    b = make_model(
        "lightgbm", {"model": {"n_estimators": 30, "subsample": 0.7, "subsample_freq": 1}}, seed=3
    ).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
