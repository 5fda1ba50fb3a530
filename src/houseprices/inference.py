"""Array-level prediction for fitted pipelines: the serving hot path without re-validation.

scikit-learn validates its input at every step of every pipeline (dtype, shape, feature
names, finiteness): about 0.1-0.2 ms per call whatever the number of rows, ten times per
prediction of the champion ensemble. After the first step of a pipeline the data is already a
float64 numpy array of the right width, made by the pipeline itself, so the later steps can
apply their fitted arithmetic directly. `transform_fn` / `predict_fn` return that arithmetic for
the step types the families use (the same operations as the library's own method, so the same
numbers) and the step's own method for anything else.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn._loss.link import IdentityLink
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.ensemble._gradient_boosting import predict_stages
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import RobustScaler

from houseprices import forest

ArrayFn = Callable[[np.ndarray], np.ndarray]

#: linear models whose prediction is X @ coef_ + intercept_ (single target)
_LINEAR = (Lasso, ElasticNet, Ridge)


def _robust_scale(step: RobustScaler) -> ArrayFn:
    center = step.center_ if step.with_centering else None
    scale = step.scale_ if step.with_scaling else None

    def scale_fn(X: np.ndarray) -> np.ndarray:
        out = X - center if center is not None else X.copy()
        if scale is not None:
            out /= scale
        return out

    return scale_fn


def transform_fn(step: Any) -> ArrayFn:
    """`step.transform` for a float64 array that a previous pipeline step produced."""
    own = getattr(step, "transform_array", None)
    if callable(own):
        return own
    if type(step) is RobustScaler:
        return _robust_scale(step)
    return step.transform


def predict_fn(estimator: Any) -> ArrayFn:
    """`estimator.predict` for a float64 array that the pipeline's last transform produced."""
    own = getattr(estimator, "predict_array", None)
    if callable(own):
        return own
    if type(estimator) in _LINEAR and np.ndim(estimator.coef_) == 1:
        coef, intercept = estimator.coef_, estimator.intercept_
        return lambda X: X @ coef + intercept
    if type(estimator) is GradientBoostingRegressor:
        if _constant_init(estimator) is None:  # what predict does after validating its input
            return lambda X: estimator._raw_predict(np.asarray(X, np.float32, order="C")).ravel()
        return _compiled(estimator, estimator.estimators_, _gradient_boosting)
    if type(estimator).__name__ == "LGBMRegressor":
        return _compiled(estimator, estimator.booster_, _lightgbm)
    return estimator.predict


#: estimator -> (its fitted trees, their compiled predict): built once per fitted model
_COMPILED: weakref.WeakKeyDictionary[Any, tuple[Any, ArrayFn]] = weakref.WeakKeyDictionary()


def _compiled(estimator: Any, fitted: Any, build: Callable[[Any], ArrayFn]) -> ArrayFn:
    """`build(estimator)`, cached while `fitted` (what fit produced) is the same object. The
    function built must not refer to `estimator` (the cache would keep it alive)."""
    cached = _COMPILED.get(estimator)
    if cached is not None and cached[0] is fitted:
        return cached[1]
    fn = build(estimator)
    _COMPILED[estimator] = (fitted, fn)
    return fn


def _constant_init(estimator: GradientBoostingRegressor) -> float | None:
    """The init estimator's prediction when it is a constant on the raw scale (DummyRegressor,
    identity link: every regression loss), else None."""
    init = estimator.init_
    if type(init) is not DummyRegressor or type(estimator._loss.link) is not IdentityLink:
        return None
    return float(np.ravel(init.constant_)[0])


def _gradient_boosting(estimator: GradientBoostingRegressor) -> ArrayFn:
    """What GradientBoostingRegressor.predict does after validating its input, for a constant
    init (filled in directly; predicting it would validate the input once more): plus the
    learning-rate-scaled trees, by scikit-learn's own `predict_stages`, or by a flat forest
    for a few rows."""
    constant = _constant_init(estimator)
    assert constant is not None, "predict_fn only compiles constant-init gradient boosting"
    stages, rate = estimator.estimators_, estimator.learning_rate

    def predict(X: np.ndarray) -> np.ndarray:
        raw = np.full((len(X), 1), constant)
        predict_stages(stages, np.asarray(X, np.float32, order="C"), rate, raw)
        return raw.ravel()

    return _small_batches(forest.from_gradient_boosting(estimator, constant), predict)


def _lightgbm(estimator: Any) -> ArrayFn:
    """A table forest (identical, faster at every size), or the LGBMRegressor wrapper's
    predict without its checks (threads by batch size) for input with NaN or other trees."""
    booster = estimator.booster_

    def predict(X: np.ndarray) -> np.ndarray:
        return booster.predict(X, num_threads=threads_for(len(X)))

    return _small_batches(forest.from_lightgbm(booster), predict)


def _small_batches(flat: forest.Compiled | None, library: ArrayFn) -> ArrayFn:
    """`flat` for rows without NaN, up to its `max_rows` (identical results), `library` for
    the rest."""
    if flat is None:
        return library

    most = flat.max_rows

    def predict(X: np.ndarray) -> np.ndarray:
        if (most is None or len(X) <= most) and not np.isnan(X).any():
            return flat.predict(X)
        return library(X)

    return predict


#: batches from this many rows on may use every core inside one model call
PARALLEL_MIN_ROWS = 512


def threads_for(n_rows: int) -> int:
    """Threads for one model call on `n_rows` rows: 1 for small calls (a serving worker per
    core), every core for large ones (LightGBM: 76 ms -> 36 ms for 1459 rows on 2 cores,
    identical predictions)."""
    return (os.cpu_count() or 1) if n_rows >= PARALLEL_MIN_ROWS else 1


def transform(prefix: Pipeline | None, X: Any) -> Any:
    """The features of raw input `X` through `prefix` (the steps before an estimator).

    The first step takes the raw input as it is; the others get its float64 array."""
    return transform_all({"": prefix}, X)[""]


def transform_all(prefixes: dict[str, Pipeline | None], X: Any) -> dict[str, Any]:
    """`transform` for several prefixes of one input. First steps that can split their work
    into `clean` + `encode` (HouseFeaturizer) and share an `imputation_key` clean the raw
    input once between them."""
    cleaned: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for name, prefix in prefixes.items():
        if prefix is None:
            out[name] = X
            continue
        steps = [step for _, step in prefix.steps if step not in (None, "passthrough")]
        first = steps[0]
        key = getattr(first, "imputation_key", None) if hasattr(first, "encode") else None
        if key is None:
            features = first.transform(X)
        else:
            if key not in cleaned:
                cleaned[key] = first.clean(X)
            features = first.encode(cleaned[key])
        for step in steps[1:]:
            features = transform_fn(step)(features)
        out[name] = features
    return out
