"""inference.predict_fn for tree ensembles: always the library's numbers. Gradient boosting's
small batches go through a flat forest compiled once per fit, everything else to the library."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import Ridge

from houseprices import forest, inference

SIZES = (1, 5, 31, 32, 100)
FLAT_MAX = forest.FlatForest.max_rows or 0


def make_data(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [rng.normal(size=n), rng.uniform(0, 10, size=n), rng.integers(0, 4, size=n)]
    ).astype(float)
    y = X[:, 0] * (1 + seed) + np.sqrt(X[:, 1]) - X[:, 2] + 0.2 * rng.normal(size=n)
    return X, y


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = make_data(0)
    X_new, _ = make_data(7, 150)
    return X, y, X_new


def gbr(**params: Any) -> GradientBoostingRegressor:
    defaults = {"loss": "huber", "max_depth": 3, "n_estimators": 25, "random_state": 0}
    return GradientBoostingRegressor(**{**defaults, **params})


def lgbm(**params: Any) -> Any:
    lightgbm = pytest.importorskip("lightgbm")
    defaults = {"n_estimators": 25, "num_leaves": 6, "random_state": 0, "verbose": -1}
    return lightgbm.LGBMRegressor(**{**defaults, **params})


def spy_calls(monkeypatch: pytest.MonkeyPatch, cls: Any) -> list[int]:
    """Row counts of every `cls.predict` call from now on."""
    calls: list[int] = []
    predict = cls.predict

    def spy(self: Any, X: np.ndarray) -> np.ndarray:
        calls.append(len(X))
        return predict(self, X)

    monkeypatch.setattr(cls, "predict", spy)
    return calls


@pytest.fixture
def flat_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Row counts of every FlatForest.predict call."""
    yield spy_calls(monkeypatch, forest.FlatForest)


@pytest.mark.parametrize("make", [gbr, lgbm], ids=["gbr", "lightgbm"])
def test_predict_fn_equals_the_library_for_every_batch_size(data, make: Any) -> None:
    X, y, X_new = data
    est = make().fit(X, y)
    fn = inference.predict_fn(est)
    for n in (*SIZES, FLAT_MAX, FLAT_MAX + 1):
        batch = X_new[:n]
        assert np.array_equal(fn(batch), est.predict(batch)), f"{n} rows"


def test_small_batches_without_nan_take_the_flat_forest(data, flat_calls: list[int]) -> None:
    X, y, X_new = data
    est = gbr().fit(X, y)
    fn = inference.predict_fn(est)
    for n in SIZES:
        assert np.array_equal(fn(X_new[:n]), est.predict(X_new[:n]))
    assert flat_calls == [n for n in SIZES if n <= FLAT_MAX]
    assert flat_calls  # the flat forest did serve the single row


def test_a_batch_with_nan_goes_to_the_library(data, flat_calls: list[int]) -> None:
    X, y, X_new = data
    est = gbr().fit(X, y)
    batch = X_new[:3].copy()
    batch[1, 0] = np.nan
    out = inference.predict_fn(est)(batch)
    assert flat_calls == []
    # GradientBoostingRegressor.predict refuses NaN; its trees (what predict_fn calls) do not
    expected = est._raw_predict(batch.astype(np.float32)).ravel()
    assert np.array_equal(out, expected)


def test_lightgbm_batches_with_nan_equal_the_library(data, flat_calls: list[int]) -> None:
    X, y, X_new = data
    X = X.copy()
    X[::4, 0] = np.nan  # trained with missing values: NaN has its own direction per split
    est = lgbm().fit(X, y)
    batch = X_new[:5].copy()
    batch[[0, 3], 0] = np.nan
    fn = inference.predict_fn(est)
    assert np.array_equal(fn(batch), est.predict(batch))
    assert np.array_equal(fn(batch[:1]), est.predict(batch[:1]))
    assert flat_calls == []


def test_the_compiled_forest_is_built_once_per_fit(data, monkeypatch) -> None:
    X, y, X_new = data
    est = gbr().fit(X, y)
    built: list[int] = []
    compile_gbr = forest.from_gradient_boosting

    def counting(estimator: Any, start: float) -> Any:
        built.append(len(estimator.estimators_))
        return compile_gbr(estimator, start)

    monkeypatch.setattr(forest, "from_gradient_boosting", counting)
    first = inference.predict_fn(est)
    assert inference.predict_fn(est) is first
    first(X_new[:2])
    assert built == [25]


@pytest.mark.parametrize("make", [gbr, lgbm], ids=["gbr", "lightgbm"])
def test_refitting_the_same_estimator_gives_the_new_model(data, make: Any) -> None:
    X, y, X_new = data
    est = make()
    est.fit(X, y)
    old = {n: inference.predict_fn(est)(X_new[:n]) for n in SIZES}
    X2, y2 = make_data(3)
    est.fit(X2, y2)  # same object, new trees
    for n in SIZES:
        new = inference.predict_fn(est)(X_new[:n])
        assert np.array_equal(new, est.predict(X_new[:n])), f"{n} rows"
        assert not np.array_equal(new, old[n])


def test_warm_start_growth_is_seen(data) -> None:
    X, y, X_new = data
    est = gbr(warm_start=True).fit(X, y)
    before = inference.predict_fn(est)(X_new[:4])
    est.set_params(n_estimators=40).fit(X, y)  # adds 15 trees to the same object
    after = inference.predict_fn(est)(X_new[:4])
    assert np.array_equal(after, est.predict(X_new[:4]))
    assert not np.array_equal(after, before)


def test_a_fitted_init_estimator_is_honoured(data) -> None:
    X, y, X_new = data
    est = gbr(init=Ridge(alpha=1.0)).fit(X, y)
    fn = inference.predict_fn(est)
    for n in SIZES:
        assert np.array_equal(fn(X_new[:n]), est.predict(X_new[:n]))


def test_the_cache_does_not_keep_a_model_alive(data) -> None:
    X, y, X_new = data
    est = gbr().fit(X, y)
    inference.predict_fn(est)(X_new[:1])
    assert est in inference._COMPILED
    alive = weakref.ref(est)
    del est
    gc.collect()
    assert alive() is None


def test_the_cache_does_not_keep_a_model_with_a_fitted_init_alive(data) -> None:
    X, y, X_new = data
    est = gbr(init=Ridge()).fit(X, y)
    inference.predict_fn(est)(X_new[:1])
    alive = weakref.ref(est)
    del est
    gc.collect()
    assert alive() is None


def test_lightgbm_takes_the_table_forest_at_every_size(data, monkeypatch) -> None:
    X, y, X_new = data
    est = lgbm(num_leaves=4).fit(X, y)
    calls = spy_calls(monkeypatch, forest.TableForest)
    fn = inference.predict_fn(est)
    for n in SIZES:
        assert np.array_equal(fn(X_new[:n]), est.predict(X_new[:n]))
    assert calls == list(SIZES)
