"""Numeric transformers for linear and kernel models: pure numpy at transform time."""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data


def _yeojohnson(x, lmbda):
    out = np.empty_like(x)
    pos = x >= 0
    if abs(lmbda) < 1e-12:
        out[pos] = np.log1p(x[pos])
    else:
        out[pos] = ((x[pos] + 1) ** lmbda - 1) / lmbda
    if abs(lmbda - 2) < 1e-12:
        out[~pos] = -np.log1p(-x[~pos])
    else:
        out[~pos] = -((-x[~pos] + 1) ** (2 - lmbda) - 1) / (2 - lmbda)
    return out


class SkewedPowerTransformer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Power-transform columns whose |skew| > ``threshold`` (chosen in fit).

    method: "yeo-johnson" (lambda per column fitted by MLE), "log1p", or "boxcox1p"
    (fixed ``lmbda`` as in the well-known kernels). Columns with at most ``min_unique``
    distinct values (flags, one-hot, short ordinal scales) are left alone; fitted
    Yeo-Johnson lambdas are clipped to ``lambda_bounds`` (zero-inflated columns otherwise
    get absurd MLE lambdas). Pure numpy at transform time.
    """

    def __init__(
        self,
        threshold=0.75,
        method="yeo-johnson",
        lmbda=0.15,
        min_unique=10,
        lambda_bounds=(-0.5, 1.5),
    ):
        self.threshold = threshold
        self.method = method
        self.lmbda = lmbda
        self.min_unique = min_unique
        self.lambda_bounds = lambda_bounds

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64)
        cols, lmbdas = [], []
        for j in range(X.shape[1]):
            x = X[:, j]
            if np.unique(x).size <= self.min_unique:
                continue
            if abs(stats.skew(x)) <= self.threshold:
                continue
            if self.method == "yeo-johnson":
                lo, hi = self.lambda_bounds
                lm = float(np.clip(stats.yeojohnson_normmax(x), lo, hi))
            elif self.method == "log1p":
                lm = 0.0
            else:
                lm = float(self.lmbda)
            cols.append(j)
            lmbdas.append(lm)
        self.columns_ = np.asarray(cols, dtype=int)
        self.lambdas_ = np.asarray(lmbdas, dtype=float)
        return self

    def transform(self, X):
        check_is_fitted(self, "columns_")
        X = validate_data(self, X, dtype=np.float64, reset=False, copy=True)
        for j, lm in zip(self.columns_, self.lambdas_):
            # yeo-johnson with lambda == boxcox1p(lambda) on x >= 0; log1p is lambda 0
            X[:, j] = _yeojohnson(X[:, j], lm)
        return X
