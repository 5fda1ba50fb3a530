"""Cross-validate the candidate families and fit the champion. Everything learned is fitted
inside each fold; the folds are the same for every family (train.cv, train.seed).

Stages: `python -m houseprices.train cv FAMILY` (one family's out-of-fold predictions) and
`python -m houseprices.train fit` (the champion chosen by the ensemble stage, on all rows).
`train_all` does the whole selection in one call (used by the container's `train`).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import numpy as np
import pandas as pd
import typer
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import RepeatedKFold

from houseprices import schema
from houseprices.config import Paths
from houseprices.ensemble import BlendedEnsemble, Selection, select
from houseprices.errors import ParamsError
from houseprices.evaluate import fold_rmsle
from houseprices.model import ConformalInterval, HousePriceModel
from houseprices.models import FAMILIES, make_model
from houseprices.params import Params, TrainParams, load_params

log = logging.getLogger(__name__)

BACKENDS = ("threading", "loky")


def split_xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    X = frame.drop(columns=[schema.TARGET]).reset_index(drop=True)
    return X, np.log1p(frame[schema.TARGET].to_numpy(dtype=float))


def cv_splitter(params: TrainParams) -> RepeatedKFold:
    return RepeatedKFold(
        n_splits=params.cv.n_splits, n_repeats=params.cv.n_repeats, random_state=params.seed
    )


def _fit_fold(
    estimator: Any, X: pd.DataFrame, y: np.ndarray, train_idx: np.ndarray, valid_idx: np.ndarray
) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    model = clone(estimator).fit(X.iloc[train_idx], y[train_idx])
    seconds = time.perf_counter() - started
    return np.asarray(model.predict(X.iloc[valid_idx]), dtype=float), seconds


def cross_validate(
    estimator: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    cv: RepeatedKFold,
    n_jobs: int = 1,
    backend: str = "threading",
) -> pd.DataFrame:
    """Out-of-fold predictions (log scale) for every repeat: Id, repeat, fold, y_true, y_pred.

    Folds run in parallel with joblib's `backend`; every fold fits its own clone, so the
    result does not depend on the backend or on `n_jobs`. The `fit_seconds` attribute of the
    returned frame holds each fold's fitting time.
    """
    if backend not in BACKENDS:
        raise ParamsError(f"train.backend '{backend}' is not one of {BACKENDS}: fix params.yaml.")
    splits = list(cv.split(X))
    n_splits = len(splits) // cv.n_repeats
    results = Parallel(n_jobs=n_jobs, backend=backend)(
        delayed(_fit_fold)(estimator, X, y, tr, va) for tr, va in splits
    )
    rows = [
        pd.DataFrame(
            {
                schema.ID: X[schema.ID].to_numpy()[va],
                "repeat": k // n_splits,
                "fold": k % n_splits,
                "y_true": y[va],
                "y_pred": pred,
            }
        )
        for k, ((_, va), (pred, _)) in enumerate(zip(splits, results))
    ]
    oof = pd.concat(rows, ignore_index=True)
    oof.attrs["fit_seconds"] = [seconds for _, seconds in results]
    return oof


def family_params(params: TrainParams, name: str) -> dict[str, Any]:
    if name not in params.families:
        raise KeyError(f"Family '{name}' is not configured under train.families in params.yaml.")
    return dict(params.families[name] or {})


def family_oof(frame: pd.DataFrame, name: str, params: TrainParams) -> tuple[pd.DataFrame, dict]:
    """CV of one family: its OOF predictions and a summary (scores, timings)."""
    X, y = split_xy(frame)
    estimator = make_model(name, family_params(params, name), params.seed)
    started = time.perf_counter()
    backend = params.backend_by_family.get(name, params.backend)
    oof = cross_validate(estimator, X, y, cv_splitter(params), params.n_jobs, backend)
    scores = fold_rmsle(oof)
    summary = {
        "family": name,
        "cv_rmsle": float(scores.mean()),
        "cv_rmsle_std": float(scores.std(ddof=1)),
        "n_folds": len(scores),
        "fit_seconds_mean": float(np.mean(oof.attrs["fit_seconds"])),
        "cv_seconds": round(time.perf_counter() - started, 1),
    }
    log.info(
        "%-11s CV RMSLE %.5f ± %.5f (%d folds, %.0fs)",
        name,
        summary["cv_rmsle"],
        summary["cv_rmsle_std"],
        len(scores),
        summary["cv_seconds"],
    )
    return oof, summary


def fit_champion(frame: pd.DataFrame, selection: Selection, params: Params) -> HousePriceModel:
    """Refit the champion's members on every training row; attach the calibrated interval."""
    X, y = split_xy(frame)
    members = [
        (name, make_model(name, family_params(params.train, name), params.train.seed))
        for name in selection.weights
    ]
    started = time.perf_counter()
    ensemble = BlendedEnsemble(members, dict(selection.weights)).fit(X, y)
    log.info("champion %s fitted in %.1fs", selection.champion, time.perf_counter() - started)
    interval = ConformalInterval(**selection.interval)
    metadata = {
        "champion": selection.champion,
        "weights": dict(selection.weights),
        "cv_rmsle": selection.scores[selection.champion]["cv_rmsle"],
        "cv_rmsle_std": selection.scores[selection.champion]["cv_rmsle_std"],
        "families": {n: dict(family_params(params.train, n)) for n in selection.weights},
        "n_train": len(X),
        "seed": params.train.seed,
        "profile": params.profile,
    }
    return HousePriceModel(pipeline=ensemble, interval=interval, metadata=metadata)


def train_all(frame: pd.DataFrame, params: Params) -> tuple[HousePriceModel, Selection]:
    """The whole selection in one call: CV every family, blend, choose, fit the champion."""
    oofs = {name: family_oof(frame, name, params.train)[0] for name in params.train.families}
    selection = select(oofs, params)
    return fit_champion(frame, selection, params), selection


app = typer.Typer(help="Cross-validate the families and fit the champion.", no_args_is_help=True)


@app.command("cv")
def cv_cmd(family: str = typer.Argument(..., help=f"One of {sorted(FAMILIES)}.")) -> None:
    """Pipeline stage: out-of-fold predictions of FAMILY -> reports/cv/FAMILY.{csv,json}."""
    paths = Paths.from_root()
    params = load_params(paths.params)
    frame = pd.read_parquet(paths.processed / "train.parquet")
    oof, summary = family_oof(frame, family, params.train)
    paths.cv.mkdir(parents=True, exist_ok=True)
    oof.to_csv(paths.cv / f"{family}.csv", index=False)
    (paths.cv / f"{family}.json").write_text(json.dumps(summary, indent=2) + "\n")
    typer.echo(f"{family}: CV RMSLE {summary['cv_rmsle']:.5f} ± {summary['cv_rmsle_std']:.5f}")


@app.command("fit")
def fit_cmd() -> None:
    """Pipeline stage: fit the champion on all training rows -> models/model.joblib."""
    paths = Paths.from_root()
    params = load_params(paths.params)
    frame = pd.read_parquet(paths.processed / "train.parquet")
    selection = Selection.load(paths.selection)
    model = fit_champion(frame, selection, params)
    model.save(paths.model)
    (paths.models / "model.json").write_text(json.dumps(model.metadata, indent=2) + "\n")
    typer.echo(
        f"champion {selection.champion}: CV RMSLE {model.metadata['cv_rmsle']:.5f} -> {paths.model}"
    )


if __name__ == "__main__":
    from houseprices.runner import run

    run(app)
