from __future__ import annotations

from pathlib import Path

import pytest

from houseprices.tracking import Tracker, _flatten, enabled, tracking_uri


def test_flatten_nested_params() -> None:
    assert _flatten({"prep": {"min_count": 5}, "model": {"alpha": 0.1}, "grid": [1, 2]}) == {
        "prep.min_count": "5",
        "model.alpha": "0.1",
        "grid": "[1, 2]",
    }


def test_default_store_is_sqlite_inside_the_project(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking_uri(tmp_path) == f"sqlite:///{tmp_path.resolve()}/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:5000")
    assert tracking_uri(tmp_path) == "http://tracking.example:5000"


def test_disabled_tracker_is_a_no_op(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOUSEPRICES_TRACKING", "off")
    assert not enabled()
    tracker = Tracker(tmp_path, "x")
    with tracker.run("r", params={"a": 1}) as run:
        tracker.log_metrics({"m": 1.0})
    assert run is None and not (tmp_path / "mlflow.db").exists()


@pytest.mark.slow
def test_runs_are_logged_to_the_sqlite_store(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("HOUSEPRICES_TRACKING", raising=False)
    tracker = Tracker(tmp_path, "selection")
    with tracker.run("cv/lasso", params={"model": {"alpha": 0.1}}, tags={"family": "lasso"}):
        tracker.log_metrics({"cv_rmsle": 0.11, "n_folds": 15})
    import mlflow

    runs = mlflow.search_runs(experiment_names=["selection"])
    assert len(runs) == 1
    assert runs.loc[0, "metrics.cv_rmsle"] == pytest.approx(0.11)
    assert runs.loc[0, "params.model.alpha"] == "0.1"
    assert runs.loc[0, "tags.family"] == "lasso"
