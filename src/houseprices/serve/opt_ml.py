"""The SageMaker container layout under /opt/ml, in one place.

    /opt/ml/input/config/hyperparameters.json   training hyperparameters (string values)
    /opt/ml/input/data/<channel>/                training data (channel "training")
    /opt/ml/model/                               the model artifact (read by serve)
    /opt/ml/output/failure                       why training failed

`HOUSEPRICES_OPT_ML` moves the root (tests and local runs use a temporary folder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

OPT_ML_ENV = "HOUSEPRICES_OPT_ML"
DEFAULT_ROOT = Path("/opt/ml")
MODEL_FILE = "model.joblib"


@dataclass(frozen=True)
class OptMl:
    root: Path = DEFAULT_ROOT

    @classmethod
    def from_env(cls) -> OptMl:
        return cls(Path(os.environ.get(OPT_ML_ENV, str(DEFAULT_ROOT))))

    @property
    def input_config(self) -> Path:
        return self.root / "input" / "config"

    @property
    def hyperparameters(self) -> Path:
        return self.input_config / "hyperparameters.json"

    def channel(self, name: str) -> Path:
        return self.root / "input" / "data" / name

    @property
    def training(self) -> Path:
        return self.channel("training")

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def model(self) -> Path:
        return self.model_dir / MODEL_FILE

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def failure(self) -> Path:
        return self.output / "failure"
