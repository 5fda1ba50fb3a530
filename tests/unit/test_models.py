from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.svm import SVR
from sklearn.utils.estimator_checks import parametrize_with_checks

from houseprices.models import FAMILIES, FastRBFSVR, kind, make_model
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


@parametrize_with_checks(
    [FastRBFSVR()],
    # libsvm's own behaviour, which sklearn also expects of SVR: a zero weight does not
    # remove a sample exactly (fitting is SVR's, unchanged)
    expected_failed_checks=lambda est: {
        "check_sample_weight_equivalence_on_dense_data": "libsvm, as for SVR",
        "check_sample_weight_equivalence_on_sparse_data": "libsvm, as for SVR",
    },
)
def test_fast_svr_is_a_scikit_learn_estimator(estimator, check) -> None:
    check(estimator)


@pytest.mark.parametrize("gamma", [0.002, "scale"])
def test_fast_svr_predicts_what_libsvm_predicts(gamma) -> None:
    rng = np.random.default_rng(0)
    X, X_new = rng.normal(size=(400, 30)), rng.normal(size=(2500, 30))
    y = X[:, 0] + np.sin(X[:, 1]) + rng.normal(scale=0.1, size=400)
    reference = SVR(C=3.0, gamma=gamma, epsilon=0.01).fit(X, y)
    fast = FastRBFSVR(C=3.0, gamma=gamma, epsilon=0.01)
    fast.chunk_rows = 1000  # several blocks, the last one short
    fast.fit(X, y)
    np.testing.assert_allclose(fast.predict(X_new), reference.predict(X_new), rtol=0, atol=1e-10)
    np.testing.assert_allclose(fast.predict(X_new[:1]), reference.predict(X_new[:1]), atol=1e-10)


def test_fast_svr_falls_back_to_libsvm_for_other_kernels() -> None:
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(100, 5)), rng.normal(size=100)
    fast = FastRBFSVR(kernel="poly", degree=2).fit(X, y)
    reference = SVR(kernel="poly", degree=2).fit(X, y)
    assert getattr(fast, "sv_sq_norms_", None) is None
    np.testing.assert_array_equal(fast.predict(X), reference.predict(X))
