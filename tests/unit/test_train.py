from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import RepeatedKFold
from sklearn.pipeline import Pipeline

from houseprices.errors import ParamsError
from houseprices.features import remove_outliers
from houseprices.params import parse_params
from houseprices.train import cross_validate, family_oof, split_xy


class _Numeric(Ridge):
    """Ridge on the numeric columns of a raw frame, so cross_validate can be tested quickly."""

    def fit(self, X, y):  # type: ignore[override]
        return super().fit(X[["GrLivArea", "OverallQual"]].to_numpy(float), y)

    def predict(self, X):  # type: ignore[override]
        return super().predict(X[["GrLivArea", "OverallQual"]].to_numpy(float))


@pytest.fixture(scope="module")
def frame(train_raw: pd.DataFrame) -> pd.DataFrame:
    return remove_outliers(train_raw, 4000, 300000)


def test_cross_validate_predicts_every_row_once_per_repeat(frame: pd.DataFrame) -> None:
    X, y = split_xy(frame)
    oof = cross_validate(
        Pipeline([("m", _Numeric())]), X, y, RepeatedKFold(n_splits=4, n_repeats=2, random_state=0)
    )
    assert len(oof) == 2 * len(X)
    assert oof.groupby("repeat")["Id"].apply(lambda s: s.is_unique and len(s) == len(X)).all()
    assert sorted(oof["fold"].unique()) == [0, 1, 2, 3]
    assert len(oof.attrs["fit_seconds"]) == 8


def test_family_oof_is_deterministic(frame: pd.DataFrame) -> None:
    params = parse_params(
        {
            "train": {
                "n_jobs": 1,
                "cv": {"n_splits": 3, "n_repeats": 1},
                "families": {
                    "lightgbm": {
                        "model": {"n_estimators": 40, "subsample": 0.8, "subsample_freq": 1}
                    }
                },
            }
        }
    )
    first, summary = family_oof(frame, "lightgbm", params.train)
    second, _ = family_oof(frame, "lightgbm", params.train)
    pd.testing.assert_frame_equal(first, second)
    assert summary["n_folds"] == 3 and 0.1 < summary["cv_rmsle"] < 0.25


def test_backend_and_n_jobs_do_not_change_the_predictions(frame: pd.DataFrame) -> None:
    families = {"lasso": {"model": {"alpha": 0.001}}}
    runs = []
    for n_jobs, backend in ((1, "threading"), (2, "threading"), (2, "loky")):
        params = parse_params(
            {
                "train": {
                    "n_jobs": n_jobs,
                    "backend": backend,
                    "cv": {"n_splits": 3, "n_repeats": 1},
                    "families": families,
                }
            }
        )
        runs.append(family_oof(frame, "lasso", params.train)[0])
    for other in runs[1:]:
        pd.testing.assert_frame_equal(runs[0], other)


def test_unknown_backend_says_which_exist(frame: pd.DataFrame) -> None:
    X, y = split_xy(frame)
    with pytest.raises(ParamsError, match="threading"):
        cross_validate(_Numeric(), X, y, RepeatedKFold(n_splits=2, n_repeats=1), backend="dask")


def test_unconfigured_family_is_reported(frame: pd.DataFrame) -> None:
    with pytest.raises(KeyError, match=r"train\.families"):
        family_oof(frame, "svr", parse_params({}).train)


def test_split_xy_uses_log1p_target(frame: pd.DataFrame) -> None:
    X, y = split_xy(frame)
    assert "SalePrice" not in X.columns
    np.testing.assert_allclose(np.expm1(y), frame["SalePrice"].to_numpy())
