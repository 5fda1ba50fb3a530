"""The model-selection report: reports/model_selection.md and its plots."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from houseprices.config import Paths

log = logging.getLogger(__name__)


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_cv_scores(scores: dict[str, dict[str, float]], champion: str, path: Path) -> None:
    plt = _plt()
    names = sorted(scores, key=lambda n: scores[n]["cv_rmsle"], reverse=True)
    means = [scores[n]["cv_rmsle"] for n in names]
    stds = [scores[n]["cv_rmsle_std"] for n in names]
    colors = ["tab:red" if n == champion else "tab:blue" for n in names]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(names) + 1.2))
    ax.barh(names, means, xerr=stds, color=colors, capsize=3)
    ax.set_xlim(min(means) - 2 * max(stds), max(means) + 2 * max(stds))
    ax.set(xlabel="CV RMSLE (mean ± std over folds)", title="Candidate families (champion in red)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_predictions(pva: pd.DataFrame, folder: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.scatter(pva["actual"], pva["predicted"], s=6, alpha=0.5)
    lims = [pva[["actual", "predicted"]].min().min(), pva[["actual", "predicted"]].max().max()]
    ax.plot(lims, lims, color="black", lw=1)
    ax.set(
        xlabel="actual SalePrice ($)",
        ylabel="predicted out-of-fold ($)",
        xscale="log",
        yscale="log",
        title="Predicted vs actual (out-of-fold)",
    )
    fig.tight_layout()
    fig.savefig(folder / "pred_vs_actual.png", dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(pva["predicted"], pva["actual"] - pva["predicted"], s=6, alpha=0.5)
    ax.axhline(0, color="black", lw=1)
    ax.set(
        xlabel="predicted SalePrice ($)",
        ylabel="actual - predicted ($)",
        xscale="log",
        title="Out-of-fold residuals",
    )
    fig.tight_layout()
    fig.savefig(folder / "residuals.png", dpi=100)
    plt.close(fig)


def residual_groups(pva: pd.DataFrame, train: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Log residual summaries by Neighborhood and by actual-price quintile."""
    frame = pva.merge(train[["Id", "Neighborhood"]], on="Id")
    frame["log_residual"] = np.log1p(frame["actual"]) - np.log1p(frame["predicted"])
    frame["price_band"] = pd.qcut(frame["actual"], 5, labels=[f"Q{i}" for i in range(1, 6)])
    agg = {
        "n": ("log_residual", "size"),
        "bias": ("log_residual", "mean"),
        "rmsle": ("log_residual", lambda r: float(np.sqrt(np.mean(r**2)))),
    }
    by_hood = frame.groupby("Neighborhood").agg(**agg).sort_values("rmsle", ascending=False)
    by_band = frame.groupby("price_band", observed=True).agg(**agg)
    return by_hood, by_band


def plot_groups(table: pd.DataFrame, title: str, path: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["rmsle"], width=0.4, label="RMSLE")
    ax.bar(x + 0.2, table["bias"], width=0.4, label="mean log residual (bias)")
    ax.set_xticks(x, [str(i) for i in table.index], rotation=60, ha="right", fontsize=8)
    ax.axhline(0, color="black", lw=0.8)
    ax.set(title=title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def feature_importance(model: Any, top: int = 20) -> pd.DataFrame:
    """Weighted importance per member: |coef| for linear members, gain for tree members."""
    ensemble = model.pipeline
    rows = []
    for name, key, estimator, weight in ensemble.estimators_:
        prefix = ensemble.prefixes_[key]
        if prefix is None:
            continue
        names = prefix.named_steps["features"].get_feature_names_out()
        values = getattr(estimator, "feature_importances_", None)
        if values is None and hasattr(estimator, "coef_"):
            values = np.abs(np.ravel(estimator.coef_))
        if values is None or len(values) != len(names):
            continue
        values = np.asarray(values, dtype=float)
        share = values / values.sum() if values.sum() > 0 else values
        rows.append(pd.DataFrame({"member": name, "feature": names, "importance": share * weight}))
    if not rows:
        return pd.DataFrame(columns=["feature", "importance"])
    table = pd.concat(rows).groupby("feature")["importance"].sum()
    return table.sort_values(ascending=False).head(top).rename("importance").reset_index()


def plot_importance(table: pd.DataFrame, path: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(table) + 1.2))
    ax.barh(table["feature"][::-1], table["importance"][::-1])
    ax.set(xlabel="weighted share of importance", title="Top features (champion members)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _md_table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += [
        "| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


def write_report(
    paths: Paths,
    metrics: dict[str, Any],
    selection: Any,
    model: Any,
    train: pd.DataFrame,
    pva: pd.DataFrame,
) -> Path:
    folder = paths.plots
    plot_cv_scores(selection.scores, selection.champion, folder / "cv_scores.png")
    plot_predictions(pva, folder)
    by_hood, by_band = residual_groups(pva, train)
    plot_groups(
        by_hood, "Out-of-fold error by Neighborhood", folder / "residuals_by_neighborhood.png"
    )
    plot_groups(by_band, "Out-of-fold error by price band", folder / "residuals_by_price_band.png")
    importance = feature_importance(model)
    plot_importance(importance, folder / "feature_importance.png")
    scores = pd.DataFrame(
        [
            {
                "candidate": n,
                "cv_rmsle": f"{s['cv_rmsle']:.5f}",
                "std": f"{s['cv_rmsle_std']:.5f}",
                "weight": f"{selection.weights.get(n, 0):.3f}" if n != "ensemble" else "",
                "champion": "**yes**" if n == selection.champion else "",
            }
            for n, s in sorted(selection.scores.items(), key=lambda kv: kv[1]["cv_rmsle"])
        ]
    )
    cv = selection.cv_scheme
    nominal = selection.interval["coverage"]
    text = f"""# Model selection

Champion: **{selection.champion}** — {selection.reason}.

CV: {cv["splitter"]}, {cv["n_splits"]} folds × {cv["n_repeats"]} repeats, seed {cv["seed"]};
RMSLE = RMSE of log1p(SalePrice); every learned step fitted inside each training fold. The
ensemble's weights are non-negative least squares on out-of-fold predictions; its score is
a fresh CV over those predictions (weights fitted on the other folds' rows, another seed).

{_md_table(scores)}

| metric | value |
|---|---|
| champion CV RMSLE | {metrics["cv_rmsle"]:.5f} ± {metrics["cv_rmsle_std"]:.5f} |
| RMSE ($) | {metrics["rmse_usd"]:,.0f} |
| MAE ($) | {metrics["mae_usd"]:,.0f} |
| R² | {metrics["r2"]:.4f} |
| {nominal:.0%} interval coverage in CV | {metrics["interval_coverage"]:.4f} |

![CV scores](plots/cv_scores.png)
![Predicted vs actual](plots/pred_vs_actual.png)
![Residuals](plots/residuals.png)

## Error by price band

{_md_table(by_band.round(4).reset_index())}

![By price band](plots/residuals_by_price_band.png)

## Error by neighbourhood (worst first)

{_md_table(by_hood.round(4).reset_index())}

![By neighbourhood](plots/residuals_by_neighborhood.png)

## Feature importance

{_md_table(importance.round(4))}

![Feature importance](plots/feature_importance.png)
"""
    path = paths.reports / "model_selection.md"
    path.write_text(text)
    log.info("wrote %s", path)
    return path
