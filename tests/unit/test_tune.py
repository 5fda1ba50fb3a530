from __future__ import annotations

from pathlib import Path

import optuna
import pandas as pd
import pytest
import yaml

from houseprices.config import Paths
from houseprices.features import remove_outliers
from houseprices.models import FAMILIES
from houseprices.params import parse_params
from houseprices.tune import run_tuning, space


@pytest.mark.parametrize("name", sorted(set(FAMILIES) - {"extratrees"}))
def test_every_family_has_a_search_space(name: str) -> None:
    trial = optuna.trial.FixedTrial({})
    with pytest.raises(ValueError):  # FixedTrial refuses params it was not given: all are named
        space(name, trial)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    params = space(name, study.ask())
    assert set(params) == {"prep", "model"} and "min_count" in params["prep"]


def test_tuning_resumes_and_writes_a_proposal(
    tmp_path: Path, train_raw: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOUSEPRICES_TRACKING", "off")
    paths = Paths.from_root(tmp_path)
    paths.processed.mkdir(parents=True)
    remove_outliers(train_raw, 4000, 300000).to_parquet(paths.processed / "train.parquet")
    params = parse_params(
        {
            "train": {
                "families": {"lasso": {"prep": {"min_count": 10}, "model": {"alpha": 0.0005}}}
            },
            "tune": {"n_trials": {"lasso": 3}, "n_splits": 3, "timeout_minutes": 5},
        }
    )
    first = run_tuning(paths, params, ["lasso"])
    assert first["lasso"]["trials"] == 3 and 0.09 < first["lasso"]["tune_rmsle"] < 0.14
    proposal = yaml.safe_load(paths.tuning_report.read_text())
    assert set(proposal["train"]["families"]["lasso"]) == {"prep", "model"}
    again = run_tuning(paths, params, ["lasso"])  # the study is persistent: nothing left to do
    assert (
        again["lasso"]["trials"] == 3
        and again["lasso"]["tune_rmsle"] == first["lasso"]["tune_rmsle"]
    )
    assert paths.tuning_store.exists()
