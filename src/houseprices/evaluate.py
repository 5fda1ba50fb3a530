"""Metrics and plots from the out-of-fold predictions written by the train stage."""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import pandas as pd
import typer
from numpy.typing import ArrayLike

from houseprices.config import Paths
from houseprices.model import ConformalInterval
from houseprices.params import Params, load_params

log = logging.getLogger(__name__)


def _rmse(a: ArrayLike, b: ArrayLike) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def fold_rmsle(oof: pd.DataFrame) -> np.ndarray:
    groups = oof.groupby(["repeat", "fold"], sort=True)
    return np.array([_rmse(g["y_true"], g["y_pred"]) for _, g in groups])


def interval_coverage(oof: pd.DataFrame, coverage: float, bands: int = 1) -> float:
    """CV coverage of the conformal interval: calibrate on the other folds, test on each fold."""
    hits, total = 0, 0
    for (repeat, fold), held in oof.groupby(["repeat", "fold"]):
        calib = oof[(oof["repeat"] == repeat) & (oof["fold"] != fold)]
        interval = ConformalInterval.calibrate(
            calib["y_true"].to_numpy(), calib["y_pred"].to_numpy(), coverage, bands
        )
        pred = held["y_pred"].to_numpy()
        hits += int((np.abs(held["y_true"].to_numpy() - pred) <= interval.half_width(pred)).sum())
        total += len(held)
    return hits / total


def compute_metrics(oof: pd.DataFrame, coverage: float = 0.90, bands: int = 1) -> dict[str, float]:
    """cv RMSLE mean/std over folds; dollar metrics pooled per repeat, averaged over repeats."""
    scores = fold_rmsle(oof)
    per_repeat = []
    for _, rep in oof.groupby("repeat"):
        true, pred = np.expm1(rep["y_true"].to_numpy()), np.expm1(rep["y_pred"].to_numpy())
        resid = true - pred
        per_repeat.append(
            {
                "rmse_usd": float(np.sqrt(np.mean(resid**2))),
                "mae_usd": float(np.mean(np.abs(resid))),
                "r2": float(1 - np.sum(resid**2) / np.sum((true - true.mean()) ** 2)),
                "rss_log": float(np.sum((rep["y_true"] - rep["y_pred"]) ** 2)),
            }
        )
    dollars = pd.DataFrame(per_repeat).mean()
    return {
        "cv_rmsle": float(scores.mean()),
        "cv_rmsle_std": float(scores.std(ddof=1)) if len(scores) > 1 else 0.0,
        "n_folds": len(scores),
        "rmse_usd": round(float(dollars["rmse_usd"]), 2),
        "mae_usd": round(float(dollars["mae_usd"]), 2),
        "r2": float(dollars["r2"]),
        "rss_log": float(dollars["rss_log"]),
        "interval_coverage": interval_coverage(oof, coverage, bands),
    }


def plot_tables(oof: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predicted vs actual and residuals (dollars), predictions averaged over repeats."""
    mean = oof.groupby("Id", sort=True)[["y_true", "y_pred"]].mean()
    actual, predicted = np.expm1(mean["y_true"]), np.expm1(mean["y_pred"])
    pva = pd.DataFrame(
        {
            "Id": mean.index,
            "actual": actual.round(2).to_numpy(),
            "predicted": predicted.round(2).to_numpy(),
        }
    )
    res = pd.DataFrame(
        {
            "Id": mean.index,
            "predicted": predicted.round(2).to_numpy(),
            "residual": (actual - predicted).round(2).to_numpy(),
        }
    )
    return pva, res


def run_stage(paths: Paths, params: Params) -> dict[str, Any]:
    from houseprices.ensemble import Selection
    from houseprices.model import HousePriceModel
    from houseprices.report import write_report

    oof = pd.read_csv(paths.oof)
    selection = Selection.load(paths.selection)
    cov = params.evaluate
    metrics: dict[str, Any] = compute_metrics(oof, cov.interval_coverage, cov.interval_bands)
    metrics["families"] = {n: s for n, s in selection.scores.items() if n != "ensemble"}
    metrics["ensemble"] = selection.scores["ensemble"]
    paths.plots.mkdir(parents=True, exist_ok=True)
    pva, res = plot_tables(oof)
    pva.to_csv(paths.plots / "pred_vs_actual.csv", index=False)
    res.to_csv(paths.plots / "residuals.csv", index=False)
    paths.metrics.write_text(json.dumps(metrics, indent=2) + "\n")
    train = pd.read_parquet(paths.processed / "train.parquet")
    write_report(paths, metrics, selection, HousePriceModel.load(paths.model), train, pva)
    log_to_tracking(paths, params, metrics, selection)
    return metrics


def log_to_tracking(paths: Paths, params: Params, metrics: dict[str, Any], selection: Any) -> None:
    """One MLflow run per candidate family, one for the ensemble, one for the champion."""
    from houseprices.tracking import Tracker

    tracker = Tracker(paths.root, "model-selection")
    tags = {"profile": params.profile, "cv_scheme": json.dumps(selection.cv_scheme)}
    for name, score in metrics["families"].items():
        fam = dict(params.train.families.get(name) or {})
        with tracker.run(f"cv/{name}", params={"family": name, **fam}, tags=tags):
            tracker.log_metrics(score)
    with tracker.run(
        "ensemble", params={"method": selection.method, **selection.weights}, tags=tags
    ):
        tracker.log_metrics(metrics["ensemble"])
    with tracker.run(
        f"champion/{selection.champion}",
        params={"champion": selection.champion},
        tags={**tags, "reason": selection.reason},
    ):
        tracker.log_metrics({k: v for k, v in metrics.items() if isinstance(v, int | float)})
        tracker.log_artifact(paths.reports / "model_selection.md")


def format_table(metrics: dict[str, Any]) -> str:
    flat = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
    flat.update({f"{name}.cv_rmsle": s["cv_rmsle"] for name, s in metrics["families"].items()})
    width = max(len(k) for k in flat)
    return "\n".join(
        f"{k:<{width}}  {v:.5f}" if isinstance(v, float) else f"{k:<{width}}  {v}"
        for k, v in flat.items()
    )


app = typer.Typer(help="Evaluate the champion's out-of-fold predictions.")


@app.command()
def main() -> None:
    """Pipeline stage: reports/metrics.json, reports/model_selection.md, reports/plots/."""
    paths = Paths.from_root()
    metrics = run_stage(paths, load_params(paths.params))
    typer.echo(format_table(metrics))


if __name__ == "__main__":
    from houseprices.runner import run

    run(app)
