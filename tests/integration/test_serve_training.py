"""The container's `train` program on the real train.csv, in a temporary /opt/ml."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from houseprices import schema
from houseprices.config import DATA_ENV
from houseprices.model import HousePriceModel
from houseprices.serve import training

DATA = Path(os.environ[DATA_ENV]) if os.environ.get(DATA_ENV) else None
pytestmark = pytest.mark.skipif(
    DATA is None or not (DATA / "train.csv").is_file(), reason=f"{DATA_ENV} is not set"
)


def test_train_program_writes_a_working_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert DATA is not None
    channel = tmp_path / "input" / "data" / "training"
    channel.mkdir(parents=True)
    shutil.copy(DATA / "train.csv", channel / "train.csv")
    config = tmp_path / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(
        json.dumps({"train.cv.n_splits": "2", "train.cv.n_repeats": "1"})
    )
    monkeypatch.setenv("HOUSEPRICES_OPT_ML", str(tmp_path))
    params = Path(__file__).resolve().parents[2] / "params.yaml"
    assert training.main([str(params)]) == 0
    assert not (tmp_path / "output" / "failure").exists()
    model = HousePriceModel.load(tmp_path / "model" / "model.joblib")
    assert json.loads((tmp_path / "model" / "model.json").read_text())["n_train"] == 1458
    test = schema.validate_frame(schema.read_csv(DATA / "test.csv"), with_target=False)
    out = model.predict_frame(test)
    assert len(out) == 1459 and np.isfinite(out.to_numpy()).all()
    assert (out["lower"] < out["SalePrice"]).all() and (out["SalePrice"] < out["upper"]).all()
