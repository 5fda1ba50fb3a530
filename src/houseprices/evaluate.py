"""Metrics and plots from the out-of-fold predictions written by the train stage."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from numpy.typing import ArrayLike

from houseprices.config import Paths
from houseprices.model import conformal_half_width
from houseprices.params import load_params

log = logging.getLogger(__name__)


def _rmse(a: ArrayLike, b: ArrayLike) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def fold_rmsle(oof: pd.DataFrame) -> np.ndarray:
    groups = oof.groupby(["repeat", "fold"], sort=True)
    return np.array([_rmse(g["y_true"], g["y_pred"]) for _, g in groups])


def interval_coverage(oof: pd.DataFrame, coverage: float) -> float:
    """CV coverage of the conformal interval: calibrate on the other folds, test on each fold."""
    hits, total = 0, 0
    for (_, fold), held in oof.groupby(["repeat", "fold"]):
        same_repeat = oof[(oof["repeat"] == held["repeat"].iloc[0]) & (oof["fold"] != fold)]
        half = conformal_half_width(np.abs(same_repeat["y_true"] - same_repeat["y_pred"]), coverage)
        hits += int((np.abs(held["y_true"] - held["y_pred"]) <= half).sum())
        total += len(held)
    return hits / total


def compute_metrics(oof: pd.DataFrame, coverage: float = 0.90) -> dict[str, float]:
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
        "interval_coverage": interval_coverage(oof, coverage),
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


def save_pngs(pva: pd.DataFrame, res: pd.DataFrame, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 6))
    ax.scatter(pva["actual"], pva["predicted"], s=6, alpha=0.5)
    lims = [pva[["actual", "predicted"]].min().min(), pva[["actual", "predicted"]].max().max()]
    ax.plot(lims, lims, color="black", lw=1)
    ax.set(
        xlabel="actual SalePrice ($)",
        ylabel="predicted (out-of-fold, $)",
        title="Predicted vs actual",
        xscale="log",
        yscale="log",
    )
    fig.tight_layout()
    fig.savefig(folder / "pred_vs_actual.png", dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(res["predicted"], res["residual"], s=6, alpha=0.5)
    ax.axhline(0, color="black", lw=1)
    ax.set(
        xlabel="predicted SalePrice ($)",
        ylabel="actual - predicted ($)",
        title="Out-of-fold residuals",
        xscale="log",
    )
    fig.tight_layout()
    fig.savefig(folder / "residuals.png", dpi=100)
    plt.close(fig)


def run_stage(paths: Paths, coverage: float) -> dict[str, float]:
    oof = pd.read_csv(paths.oof)
    metrics = compute_metrics(oof, coverage)
    paths.plots.mkdir(parents=True, exist_ok=True)
    pva, res = plot_tables(oof)
    pva.to_csv(paths.plots / "pred_vs_actual.csv", index=False)
    res.to_csv(paths.plots / "residuals.csv", index=False)
    save_pngs(pva, res, paths.plots)
    paths.metrics.write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def format_table(metrics: dict[str, float]) -> str:
    width = max(len(k) for k in metrics)
    return "\n".join(
        f"{k:<{width}}  {v:.5f}" if isinstance(v, float) else f"{k:<{width}}  {v}"
        for k, v in metrics.items()
    )


app = typer.Typer(help="Evaluate the out-of-fold predictions.")


@app.command()
def main() -> None:
    """Pipeline stage: write reports/metrics.json and reports/plots/."""
    paths = Paths.from_root()
    metrics = run_stage(paths, load_params(paths.params).evaluate.interval_coverage)
    typer.echo(format_table(metrics))


if __name__ == "__main__":
    from houseprices.runner import run

    run(app)
