"""Optuna search per family (`make tune`): proposes hyperparameters for review.

TPE (seeded) with a median pruner on the running mean RMSE after each fold; persistent
SQLite storage (.tuning/optuna.db) so a search resumes where it stopped. The tuning CV is a
single shuffled KFold with its own seed (`tune.seed`), distinct from the evaluation CV.
Preprocessing does not depend on the estimator's hyperparameters, so each fold's features
are computed once per `prep` setting. Every trial is logged to MLflow. The result goes to
reports/tuning/proposed_params.yaml: copy what you accept into params.yaml.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import optuna
import pandas as pd
import typer
import yaml
from sklearn.model_selection import KFold

from houseprices.config import Paths
from houseprices.models import FAMILIES, kind, make_model
from houseprices.params import Params, load_params
from houseprices.tracking import Tracker
from houseprices.train import split_xy

log = logging.getLogger(__name__)


def space(name: str, t: optuna.Trial) -> dict[str, Any]:
    """The search space of each family: {"prep": {...}, "model": {...}}."""
    f, i, c = t.suggest_float, t.suggest_int, t.suggest_categorical
    if kind(name) == "linear":
        prep = {
            "min_count": c("min_count", [3, 5, 10, 20]),
            "skew_method": c("skew_method", ["yeo-johnson", "boxcox1p", "log1p"]),
        }
    else:
        prep = {"min_count": c("min_count", [1, 5, 10])}
    spaces: dict[str, Any] = {
        "ridge": lambda: {"alpha": f("alpha", 0.1, 100, log=True)},
        "lasso": lambda: {"alpha": f("alpha", 5e-5, 5e-3, log=True)},
        "elasticnet": lambda: {
            "alpha": f("alpha", 1e-4, 1e-2, log=True),
            "l1_ratio": f("l1_ratio", 0.05, 1.0),
        },
        "bayesridge": lambda: {},
        "kernelridge": lambda: {
            "alpha": f("alpha", 0.01, 20, log=True),
            "degree": i("degree", 1, 3),
            "coef0": f("coef0", 0.5, 50, log=True),
            "gamma": f("gamma", 1e-4, 1e-1, log=True),
        },
        "svr": lambda: {
            "C": f("C", 0.1, 100, log=True),
            "gamma": f("gamma", 1e-5, 1e-2, log=True),
            "epsilon": f("epsilon", 1e-3, 0.1, log=True),
        },
        "lasso_svr": lambda: {
            "alpha": f("alpha", 2e-4, 2e-3, log=True),
            "C": f("C", 0.1, 10, log=True),
            "gamma": f("gamma", 1e-4, 1e-2, log=True),
            "epsilon": f("epsilon", 1e-3, 0.05, log=True),
        },
        "lightgbm": lambda: {
            "learning_rate": 0.02,
            "n_estimators": i("n_estimators", 800, 3000, step=200),
            "num_leaves": i("num_leaves", 4, 32, log=True),
            "max_bin": c("max_bin", [31, 63, 127, 255]),
            "min_child_samples": i("min_child_samples", 3, 30, log=True),
            "subsample": f("subsample", 0.5, 1.0),
            "subsample_freq": 1,
            "colsample_bytree": f("colsample_bytree", 0.1, 0.7),
            "reg_lambda": f("reg_lambda", 1e-3, 10, log=True),
            "reg_alpha": f("reg_alpha", 1e-4, 1, log=True),
        },
        "xgboost": lambda: {
            "learning_rate": 0.03,
            "n_estimators": i("n_estimators", 800, 3000, step=200),
            "max_depth": i("max_depth", 2, 6),
            "min_child_weight": f("min_child_weight", 0.5, 10, log=True),
            "subsample": f("subsample", 0.4, 1.0),
            "colsample_bytree": f("colsample_bytree", 0.1, 0.7),
            "gamma": f("gamma", 1e-4, 0.05, log=True),
            "reg_alpha": f("reg_alpha", 1e-4, 1, log=True),
            "reg_lambda": f("reg_lambda", 1e-2, 10, log=True),
        },
        "catboost": lambda: {
            "learning_rate": 0.05,
            "iterations": i("iterations", 800, 2000, step=200),
            "depth": i("depth", 4, 7),
            "l2_leaf_reg": f("l2_leaf_reg", 0.5, 20, log=True),
            "rsm": f("rsm", 0.2, 1.0),
            "subsample": f("subsample", 0.5, 1.0),
        },
        "gbr": lambda: {
            "learning_rate": 0.05,
            "n_estimators": i("n_estimators", 600, 2000, step=200),
            "max_depth": i("max_depth", 2, 5),
            "max_features": c("max_features", ["sqrt", 0.3, 0.5]),
            "min_samples_leaf": i("min_samples_leaf", 3, 30, log=True),
            "min_samples_split": 10,
            "subsample": f("subsample", 0.6, 1.0),
            "alpha": f("alpha", 0.8, 0.99),
        },
        "histgb": lambda: {
            "learning_rate": 0.05,
            "max_iter": i("max_iter", 300, 1500, step=100),
            "max_leaf_nodes": i("max_leaf_nodes", 4, 31, log=True),
            "min_samples_leaf": i("min_samples_leaf", 3, 40, log=True),
            "l2_regularization": f("l2_regularization", 1e-3, 10, log=True),
            "max_features": f("max_features", 0.2, 1.0),
        },
        "extratrees": lambda: {
            "n_estimators": 300,
            "max_features": f("max_features", 0.1, 1.0),
            "min_samples_leaf": i("min_samples_leaf", 1, 8),
            "max_depth": c("max_depth", [None, 12, 20]),
        },
    }
    return {"prep": prep, "model": spaces[name]()}


def tune_family(
    name: str,
    X: pd.DataFrame,
    y: np.ndarray,
    params: Params,
    paths: Paths,
    tracker: Tracker,
    n_trials: int,
    timeout: float,
) -> dict[str, Any]:
    """Run (or resume) the study of one family; return its best params and score."""
    tune = params.tune
    folds = list(KFold(tune.n_splits, shuffle=True, random_state=tune.seed).split(X))
    current = dict(params.train.families.get(name) or {})
    cache: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}

    def features(k: int, prep: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        key = (k, repr(sorted(prep.items())))
        if key not in cache:
            tr, va = folds[k]
            pre = make_model(name, {"prep": prep}, tune.seed)[:-1].fit(X.iloc[tr], y[tr])
            cache[key] = (pre.transform(X.iloc[tr]), pre.transform(X.iloc[va]))
        return cache[key]

    def objective(trial: optuna.Trial) -> float:
        candidate = space(name, trial)
        errors: list[float] = []
        with tracker.run(
            f"tune/{name}/{trial.number}", params=candidate, nested=True, tags={"family": name}
        ):
            for k, (tr, va) in enumerate(folds):
                Xtr, Xva = features(k, candidate["prep"])
                est = make_model(name, candidate, tune.seed)[-1].fit(Xtr, y[tr])
                errors.append(float(np.sqrt(np.mean((est.predict(Xva) - y[va]) ** 2))))
                trial.report(float(np.mean(errors)), k)
                if trial.should_prune():
                    tracker.log_metrics({"rmsle_partial": float(np.mean(errors))})
                    raise optuna.TrialPruned()
            tracker.log_metrics({"rmsle": float(np.mean(errors))})
        trial.set_user_attr("params", candidate)
        return float(np.mean(errors))

    paths.tuning_store.parent.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        study_name=name,
        storage=f"sqlite:///{paths.tuning_store}",
        load_if_exists=True,
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=tune.seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
    )
    finished = [t for t in study.trials if t.state.is_finished()]
    if not finished and current:  # never propose something worse than what params.yaml has
        flat = {**current.get("prep", {}), **current.get("model", {})}
        study.enqueue_trial({k: v for k, v in flat.items() if not isinstance(v, list)})
    remaining = max(0, n_trials - len(finished))
    if remaining:
        started = time.perf_counter()
        with tracker.run(f"tune/{name}", params={"family": name, "n_trials": n_trials}):
            study.optimize(objective, n_trials=remaining, timeout=timeout, show_progress_bar=True)
            tracker.log_metrics({"best_rmsle": study.best_value})
        log.info("%s: %d trials in %.0fs", name, remaining, time.perf_counter() - started)
    best = study.best_trial
    return {
        "params": best.user_attrs.get("params", current),
        "tune_rmsle": best.value,
        "trials": len(study.trials),
    }


def run_tuning(paths: Paths, params: Params, families: list[str]) -> dict[str, Any]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    frame = pd.read_parquet(paths.processed / "train.parquet")
    X, y = split_xy(frame)
    tracker = Tracker(paths.root, "tuning")
    budget = params.tune.timeout_minutes * 60
    deadline = time.monotonic() + budget
    results: dict[str, Any] = {}
    for k, name in enumerate(families):
        share = (deadline - time.monotonic()) / (len(families) - k)
        n_trials = params.tune.n_trials.get(name, 20)
        results[name] = tune_family(name, X, y, params, paths, tracker, n_trials, max(share, 1))
        typer.echo(
            f"{name:<11} best tuning RMSLE {results[name]['tune_rmsle']:.5f} "
            f"({results[name]['trials']} trials)"
        )
    proposed = {"train": {"families": {n: r["params"] for n, r in results.items()}}}
    paths.tuning_report.parent.mkdir(parents=True, exist_ok=True)
    header = "# Proposed by `make tune`; review, then copy into params.yaml.\n"
    scores = "".join(
        f"# {n}: tuning RMSLE {r['tune_rmsle']:.5f} after {r['trials']} trials\n"
        for n, r in results.items()
    )
    paths.tuning_report.write_text(header + scores + yaml.safe_dump(proposed, sort_keys=False))
    return results


def main(
    families: list[str] | None = typer.Argument(None, help="Families to tune (default: all)."),
) -> None:
    """Optuna search; writes reports/tuning/proposed_params.yaml for review."""
    paths = Paths.from_root()
    params = load_params(paths.params)
    chosen = families or list(params.train.families) or sorted(FAMILIES)
    run_tuning(paths, params, chosen)
    typer.echo(f"proposed parameters: {paths.tuning_report}")


app = typer.Typer(help="Tune hyperparameters with Optuna.")
app.command()(main)

if __name__ == "__main__":
    from houseprices.runner import run

    run(app)
