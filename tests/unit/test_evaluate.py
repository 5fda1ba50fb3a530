from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from houseprices.evaluate import compute_metrics, fold_rmsle, interval_coverage, plot_tables


def _oof(noise: float = 0.1, repeats: int = 2, folds: int = 5, n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for r in range(repeats):
        fold = rng.permutation(np.arange(n) % folds)
        y = rng.normal(12, 0.4, size=n)
        rows.append(
            pd.DataFrame(
                {
                    "Id": np.arange(n),
                    "repeat": r,
                    "fold": fold,
                    "y_true": y,
                    "y_pred": y + rng.normal(0, noise, size=n),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_fold_rmsle_one_score_per_fold() -> None:
    scores = fold_rmsle(_oof())
    assert len(scores) == 10
    assert scores.mean() == pytest.approx(0.1, abs=0.01)


def test_metrics_keys_and_values() -> None:
    metrics = compute_metrics(_oof())
    assert set(metrics) == {
        "cv_rmsle",
        "cv_rmsle_std",
        "n_folds",
        "rmse_usd",
        "mae_usd",
        "r2",
        "rss_log",
        "interval_coverage",
    }
    assert metrics["n_folds"] == 10
    assert 0.8 < metrics["r2"] < 1
    assert metrics["rss_log"] == pytest.approx(500 * 0.01, rel=0.15)


def test_perfect_predictions() -> None:
    oof = _oof(noise=0.0)
    metrics = compute_metrics(oof)
    assert metrics["cv_rmsle"] == 0 and metrics["rmse_usd"] == 0 and metrics["r2"] == 1


def test_interval_coverage_near_nominal() -> None:
    assert 0.87 < interval_coverage(_oof(repeats=3), 0.9) < 0.93


def test_plot_tables_average_over_repeats() -> None:
    pva, res = plot_tables(_oof())
    assert len(pva) == 500 and list(pva.columns) == ["Id", "actual", "predicted"]
    np.testing.assert_allclose(res["residual"], pva["actual"] - pva["predicted"], atol=0.02)
