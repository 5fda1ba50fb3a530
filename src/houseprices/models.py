"""Candidate model families. Each factory returns one Pipeline from raw Kaggle rows to
log1p(SalePrice), with every learned step inside it (so CV fits it on training folds only).

Linear and kernel families see one-hot nominals, squared key terms, skew power transforms and
robust scaling; tree families see ordinal codes. Hyperparameters come from params.yaml
(`train.families.<name>.prep` for the features, `.model` for the estimator).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import (
    ExtraTreesRegressor,
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
)
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import BayesianRidge, ElasticNet, Lasso, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import RobustScaler
from sklearn.svm import SVR

from houseprices import inference
from houseprices.features import LINEAR_SQUARES, HouseFeaturizer
from houseprices.transforms import SkewedPowerTransformer


def _lightgbm(seed: int, **p: Any) -> Any:
    from lightgbm import LGBMRegressor

    return LGBMRegressor(objective="regression", random_state=seed, n_jobs=1, verbose=-1, **p)


def _xgboost(seed: int, **p: Any) -> Any:
    from xgboost import XGBRegressor

    return XGBRegressor(
        objective="reg:squarederror", tree_method="hist", random_state=seed, n_jobs=1, **p
    )


def _catboost(seed: int, **p: Any) -> Any:
    from catboost import CatBoostRegressor

    return CatBoostRegressor(
        loss_function="RMSE",
        random_seed=seed,
        thread_count=1,
        verbose=0,
        allow_writing_files=False,
        bootstrap_type="Bernoulli",
        **p,
    )


class FastRBFSVR(SVR):
    """sklearn's SVR whose RBF predictions are one matrix product instead of libsvm's loop.

    Fitting is SVR's own. Predicting computes exp(-gamma * |x - sv|^2) for all rows and
    support vectors at once with BLAS (rows in chunks to bound memory): the same function,
    equal to libsvm up to floating-point rounding (~1e-13 relative), 6-7x faster on a
    test-set-sized batch on one core. Other kernels and sparse input use SVR.predict.
    """

    #: rows per kernel block: chunk x support vectors x 8 bytes stays a few MB
    chunk_rows = 2048

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> FastRBFSVR:
        super().fit(X, y, sample_weight=sample_weight)
        if self.kernel == "rbf" and not self._sparse:
            sv = self.support_vectors_
            self.sv_sq_norms_ = np.einsum("ij,ij->i", sv, sv)
            self.sv_twice_ = 2.0 * sv
        return self

    def predict(self, X: Any) -> np.ndarray:
        if getattr(self, "sv_sq_norms_", None) is None or issparse(X):
            return super().predict(X)
        return self._rbf(self._validate_for_predict(X))

    def predict_array(self, X: np.ndarray) -> np.ndarray:
        """`predict` of a float64 array of the fitted width, without validating it again."""
        if getattr(self, "sv_sq_norms_", None) is None:
            return super().predict(X)
        return self._rbf(X)

    def _rbf(self, X: np.ndarray) -> np.ndarray:
        gamma = self._gamma
        coef = self.dual_coef_[0]
        # 2 * sv: scaling by two is exact, so x @ (2 sv).T == 2 * (x @ sv.T) bit for bit,
        # one pass over the kernel block fewer (made in fit; models fitted before it existed
        # make it per call)
        twice = getattr(self, "sv_twice_", None)
        if twice is None:
            twice = 2.0 * self.support_vectors_
        out = np.empty(X.shape[0])
        for start in range(0, X.shape[0], self.chunk_rows):
            x = X[start : start + self.chunk_rows]
            d2 = np.einsum("ij,ij->i", x, x)[:, None] + self.sv_sq_norms_[None, :]
            d2 -= x @ twice.T  # the layout of sv.T: BLAS sums in the same order
            np.maximum(d2, 0.0, out=d2)
            d2 *= -gamma
            out[start : start + len(x)] = np.exp(d2, out=d2) @ coef
        return out + self.intercept_[0]


class LassoResidualSVR(RegressorMixin, BaseEstimator):
    """Lasso for the global, extrapolating trend + an RBF-SVR on the Lasso's residuals.

    A plain RBF-SVR reverts to the mean far from the training data (it prices the largest
    houses far too low); fitted on the Lasso's residuals, the kernel only corrects local
    non-linearities while the linear part keeps extrapolating.
    """

    def __init__(
        self,
        alpha: float = 0.0005,
        C: float = 1.0,
        gamma: float = 0.002,
        epsilon: float = 0.01,
        random_state: int | None = None,
    ) -> None:
        self.alpha = alpha
        self.C = C
        self.gamma = gamma
        self.epsilon = epsilon
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> LassoResidualSVR:
        y = np.asarray(y, dtype=float)
        self.lasso_ = Lasso(alpha=self.alpha, max_iter=50_000, random_state=self.random_state)
        self.lasso_.fit(X, y)
        residuals = y - self.lasso_.predict(X)
        self.svr_ = FastRBFSVR(kernel="rbf", C=self.C, gamma=self.gamma, epsilon=self.epsilon)
        self.svr_.fit(X, residuals)
        self.n_features_in_ = self.lasso_.n_features_in_
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.lasso_.predict(X) + self.svr_.predict(X))

    def predict_array(self, X: np.ndarray) -> np.ndarray:
        """`predict` of a float64 array of the fitted width, without validating it again."""
        return np.asarray(inference.predict_fn(self.lasso_)(X) + self.svr_.predict_array(X))


#: family -> (kind, estimator factory taking the seed and the model params)
FAMILIES: dict[str, tuple[str, Callable[..., Any]]] = {
    "ridge": ("linear", lambda seed, **p: Ridge(**p)),
    "lasso": ("linear", lambda seed, **p: Lasso(max_iter=50_000, random_state=seed, **p)),
    "elasticnet": ("linear", lambda seed, **p: ElasticNet(max_iter=50_000, random_state=seed, **p)),
    "bayesridge": ("linear", lambda seed, **p: BayesianRidge(**p)),
    "kernelridge": ("linear", lambda seed, **p: KernelRidge(kernel="polynomial", **p)),
    "svr": ("linear", lambda seed, **p: FastRBFSVR(kernel="rbf", **p)),
    "lasso_svr": ("linear", lambda seed, **p: LassoResidualSVR(random_state=seed, **p)),
    "gbr": (
        "tree",
        lambda seed, **p: GradientBoostingRegressor(loss="huber", random_state=seed, **p),
    ),
    "lightgbm": ("tree", _lightgbm),
    "xgboost": ("tree", _xgboost),
    "catboost": ("tree", _catboost),
    "histgb": (
        "tree",
        lambda seed, **p: HistGradientBoostingRegressor(
            random_state=seed, early_stopping=False, **p
        ),
    ),
    "extratrees": ("tree", lambda seed, **p: ExtraTreesRegressor(random_state=seed, n_jobs=1, **p)),
}


#: the library a family needs beyond scikit-learn (catboost is an optional dependency)
LIBRARIES = {"lightgbm": "lightgbm", "xgboost": "xgboost", "catboost": "catboost"}


def available(name: str) -> bool:
    """Whether the library of family `name` is installed."""
    library = LIBRARIES.get(name)
    return library is None or importlib.util.find_spec(library) is not None


def kind(name: str) -> str:
    if name not in FAMILIES:
        raise KeyError(
            f"Unknown model family '{name}' in params.yaml; choose from {sorted(FAMILIES)}."
        )
    return FAMILIES[name][0]


def make_model(name: str, params: Mapping[str, Any], seed: int) -> Pipeline:
    """The full pipeline of family `name` with `params` = {"prep": {...}, "model": {...}}."""
    family_kind, factory = FAMILIES[name] if name in FAMILIES else (kind(name), None)
    prep = dict(params.get("prep", {}))
    estimator = factory(seed, **dict(params.get("model", {})))  # type: ignore[misc]
    if family_kind == "linear":
        squares = tuple(prep.get("squares", LINEAR_SQUARES))
        return Pipeline(
            [
                (
                    "features",
                    HouseFeaturizer(
                        encoding="onehot", min_count=prep.get("min_count", 10), squares=squares
                    ),
                ),
                (
                    "skew",
                    SkewedPowerTransformer(
                        threshold=prep.get("skew_threshold", 0.75),
                        method=prep.get("skew_method", "yeo-johnson"),
                    ),
                ),
                ("scale", RobustScaler()),
                ("model", estimator),
            ]
        )
    return Pipeline(
        [
            (
                "features",
                HouseFeaturizer(
                    encoding="ordinal",
                    min_count=prep.get("min_count", 5),
                    code_order=prep.get("code_order", "target"),
                ),
            ),
            ("model", estimator),
        ]
    )
