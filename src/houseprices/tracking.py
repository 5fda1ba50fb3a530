"""Experiment tracking with MLflow: an embedded SQLite store inside the project, no server.

Every candidate family's CV, every tuning trial and the ensemble are logged as runs. Set
MLFLOW_TRACKING_URI to use a tracking server instead, or HOUSEPRICES_TRACKING=off to skip
tracking altogether (the pipeline never depends on it).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def enabled() -> bool:
    return os.environ.get("HOUSEPRICES_TRACKING", "on").lower() not in {"off", "0", "false", "no"}


def tracking_uri(root: Path) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{(root / 'mlflow.db').resolve()}"


def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = json.dumps(value) if isinstance(value, list | tuple) else str(value)
    return flat


class Tracker:
    """Thin wrapper: one experiment, runs with flattened params, numeric metrics, tags."""

    def __init__(self, root: Path, experiment: str) -> None:
        self.root = root
        self.experiment = experiment
        self._mlflow: Any = None
        if enabled():
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "false")
            import mlflow

            logging.getLogger("alembic").setLevel(logging.WARNING)
            mlflow.set_tracking_uri(tracking_uri(root))
            if mlflow.get_experiment_by_name(experiment) is None:
                artifacts = (root / "mlruns").resolve().as_uri()
                mlflow.create_experiment(experiment, artifact_location=artifacts)
            mlflow.set_experiment(experiment)
            self._mlflow = mlflow

    @contextmanager
    def run(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        nested: bool = False,
    ) -> Iterator[Any]:
        if self._mlflow is None:
            yield None
            return
        with self._mlflow.start_run(run_name=name, nested=nested, tags=dict(tags or {})) as run:
            if params:
                self._mlflow.log_params(_flatten(params))
            yield run

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if self._mlflow is not None:
            numeric = {k: float(v) for k, v in metrics.items() if isinstance(v, int | float)}
            self._mlflow.log_metrics(numeric, step=step)

    def log_artifact(self, path: Path) -> None:
        if self._mlflow is not None and path.exists():
            self._mlflow.log_artifact(str(path))
