"""Where things live. Paths only: nothing is read, created or checked at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_ENV = "HOUSE_PRICES_DATA"
KAGGLE_COMPETITION = "house-prices-advanced-regression-techniques"
RAW_FILES = ("train.csv", "test.csv", "sample_submission.csv", "data_description.txt")


def project_root() -> Path:
    """The repository root: `HOUSEPRICES_ROOT` if set, else the current directory."""
    return Path(os.environ.get("HOUSEPRICES_ROOT", Path.cwd())).resolve()


@dataclass(frozen=True)
class Paths:
    """Every file the pipeline reads or writes, relative to one root."""

    root: Path

    @classmethod
    def from_root(cls, root: Path | None = None) -> Paths:
        return cls(Path(root) if root is not None else project_root())

    @property
    def params(self) -> Path:
        return self.root / "params.yaml"

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def checksums(self) -> Path:
        return self.root / "data" / "raw.sha256"

    @property
    def interim(self) -> Path:
        return self.root / "data" / "interim"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def model(self) -> Path:
        return self.models / "model.joblib"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def plots(self) -> Path:
        return self.reports / "plots"

    @property
    def metrics(self) -> Path:
        return self.reports / "metrics.json"

    @property
    def cv(self) -> Path:
        return self.reports / "cv"

    @property
    def selection(self) -> Path:
        return self.reports / "selection.json"

    @property
    def oof(self) -> Path:
        return self.reports / "oof_predictions.csv"

    @property
    def tuning_store(self) -> Path:
        return self.root / ".tuning" / "optuna.db"

    @property
    def tuning_report(self) -> Path:
        return self.reports / "tuning" / "proposed_params.yaml"

    @property
    def submission(self) -> Path:
        return self.reports / "submission.csv"
