"""Cross-validate and fit the model. Everything learned is fitted inside each fold."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import typer
from sklearn.base import RegressorMixin, clone
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.model_selection import RepeatedKFold
from sklearn.pipeline import Pipeline

from houseprices import schema
from houseprices.config import Paths
from houseprices.evaluate import fold_rmsle
from houseprices.features import build_preprocessor
from houseprices.model import HousePriceModel, conformal_half_width
from houseprices.params import FeatureParams, ModelSpec, Params, TrainParams, load_params

log = logging.getLogger(__name__)

REGRESSORS: dict[str, Callable[..., RegressorMixin]] = {
    "ridge": Ridge,
    "lasso": lambda **kw: Lasso(max_iter=50_000, **kw),
    "elasticnet": lambda **kw: ElasticNet(max_iter=50_000, **kw),
    "kernelridge": KernelRidge,
}


def build_model(spec: ModelSpec, features: FeatureParams, seed: int) -> Pipeline:
    """Preprocessing + regressor on the log1p target."""
    if spec.name not in REGRESSORS:
        raise ValueError(
            f"Unknown model '{spec.name}' in params.yaml train.model.name; "
            f"choose one of {sorted(REGRESSORS)}."
        )
    regressor = REGRESSORS[spec.name](**spec.params)
    if "random_state" in regressor.get_params():
        regressor.set_params(random_state=seed)
    pre = build_preprocessor(features.rare_min_frequency, features.skew_threshold)
    return Pipeline([("features", pre), ("model", regressor)])


def split_xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    X = frame.drop(columns=[schema.TARGET]).reset_index(drop=True)
    return X, np.log1p(frame[schema.TARGET].to_numpy(dtype=float))


def cross_validate(
    estimator: Any, X: pd.DataFrame, y: np.ndarray, cv: RepeatedKFold
) -> pd.DataFrame:
    """Out-of-fold predictions (log scale) for every repeat: Id, repeat, fold, y_true, y_pred."""
    rows = []
    n_splits = cv.get_n_splits() // cv.n_repeats
    for k, (train_idx, valid_idx) in enumerate(cv.split(X)):
        model = clone(estimator).fit(X.iloc[train_idx], y[train_idx])
        rows.append(
            pd.DataFrame(
                {
                    schema.ID: X[schema.ID].to_numpy()[valid_idx],
                    "repeat": k // n_splits,
                    "fold": k % n_splits,
                    "y_true": y[valid_idx],
                    "y_pred": model.predict(X.iloc[valid_idx]),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def train(
    frame: pd.DataFrame, features: FeatureParams, params: TrainParams, coverage: float
) -> tuple[HousePriceModel, pd.DataFrame]:
    """CV the configured model, then fit it on all rows and calibrate its interval on OOF."""
    X, y = split_xy(frame)
    estimator = build_model(params.model, features, params.seed)
    cv = RepeatedKFold(
        n_splits=params.cv.n_splits, n_repeats=params.cv.n_repeats, random_state=params.seed
    )
    started = time.perf_counter()
    oof = cross_validate(estimator, X, y, cv)
    scores = fold_rmsle(oof)
    log.info(
        "CV RMSLE %.5f ± %.5f over %d folds (%.1fs)",
        scores.mean(),
        scores.std(ddof=1),
        len(scores),
        time.perf_counter() - started,
    )
    fitted = clone(estimator).fit(X, y)
    residuals = (oof["y_true"] - oof["y_pred"]).abs().to_numpy()
    model = HousePriceModel(
        pipeline=fitted,
        half_width=conformal_half_width(residuals[oof["repeat"].to_numpy() == 0], coverage),
        coverage=coverage,
        metadata={
            "model": params.model.name,
            "params": params.model.params,
            "cv_rmsle": float(scores.mean()),
            "cv_rmsle_std": float(scores.std(ddof=1)),
            "n_train": len(X),
            "seed": params.seed,
        },
    )
    return model, oof


def run_stage(paths: Paths, params: Params) -> HousePriceModel:
    frame = pd.read_parquet(paths.processed / "train.parquet")
    model, oof = train(frame, params.features, params.train, params.evaluate.interval_coverage)
    model.save(paths.model)
    paths.reports.mkdir(parents=True, exist_ok=True)
    oof.to_csv(paths.oof, index=False)
    (paths.models / "model.json").write_text(json.dumps(model.metadata, indent=2) + "\n")
    return model


app = typer.Typer(help="Train the model.")


@app.command()
def main() -> None:
    """Pipeline stage: cross-validate, fit on all training rows, save models/model.joblib."""
    paths = Paths.from_root()
    model = run_stage(paths, load_params(paths.params))
    typer.echo(
        f"trained {model.metadata['model']}: CV RMSLE {model.metadata['cv_rmsle']:.5f} "
        f"± {model.metadata['cv_rmsle_std']:.5f} -> {paths.model}"
    )


if __name__ == "__main__":
    from houseprices.runner import run

    run(app)
