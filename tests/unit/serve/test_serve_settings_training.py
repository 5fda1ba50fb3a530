"""Settings from the environment, the /opt/ml layout, the `train` program's contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from houseprices.errors import DataNotFoundError, ParamsError
from houseprices.serve import training
from houseprices.serve.launcher import render_nginx
from houseprices.serve.opt_ml import OptMl
from houseprices.serve.settings import ServeSettings


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOUSEPRICES_SERVE_MODEL_PATH", str(tmp_path / "m.joblib"))
    monkeypatch.setenv("HOUSEPRICES_SERVE_VARIANTS", json.dumps({"challenger": "c.joblib"}))
    monkeypatch.setenv("MODEL_SERVER_WORKERS", "3")
    monkeypatch.setenv("MODEL_SERVER_TIMEOUT", "17")
    s = ServeSettings()
    assert s.workers == 3 and s.timeout == 17
    assert s.variant_paths() == {"champion": tmp_path / "m.joblib", "challenger": Path("c.joblib")}


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("MODEL_SERVER_WORKERS", "MODEL_SERVER_TIMEOUT", "HOUSEPRICES_SERVE_WORKERS"):
        monkeypatch.delenv(var, raising=False)
    s = ServeSettings()
    assert s.workers >= 1 and s.timeout == 60 and s.port == 8080
    assert s.max_body_bytes == 6 * 1024 * 1024


def test_bad_setting_says_which(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_SERVER_WORKERS", "zero")
    with pytest.raises(ValueError, match="MODEL_SERVER_WORKERS"):
        ServeSettings()


def test_nginx_config_renders(tmp_path: Path) -> None:
    conf = render_nginx(ServeSettings(port=9999, timeout=42), tmp_path, tmp_path / "g.sock")
    text = conf.read_text()
    assert "listen 127.0.0.1:9999" in text and f"unix:{tmp_path}/g.sock" in text
    assert "proxy_read_timeout 42s" in text and "$http_host" in text and "${" not in text


def test_opt_ml_layout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert OptMl().hyperparameters == Path("/opt/ml/input/config/hyperparameters.json")
    assert OptMl().training == Path("/opt/ml/input/data/training")
    assert OptMl().model == Path("/opt/ml/model/model.joblib")
    assert OptMl().failure == Path("/opt/ml/output/failure")
    monkeypatch.setenv("HOUSEPRICES_OPT_ML", str(tmp_path))
    assert OptMl.from_env().model_dir == tmp_path / "model"


def test_hyperparameters_are_strings_parsed_as_yaml(tmp_path: Path) -> None:
    path = tmp_path / "hp.json"
    hp_values = {"train.families.lasso.model.alpha": "0.001", "train.cv.n_repeats": "1"}
    path.write_text(json.dumps(hp_values))
    hp = training.read_hyperparameters(path)
    base = {"train": {"families": {"lasso": {"model": {"alpha": 0.0005}}}}}
    params = training.apply_overrides(base, hp)
    assert params.train.families == {"lasso": {"model": {"alpha": 0.001}}}
    assert params.train.cv.n_repeats == 1
    assert training.read_hyperparameters(tmp_path / "absent.json") == {}


@pytest.mark.parametrize(
    ("content", "words"),
    [("[1]", "JSON object"), ("{", "not valid JSON")],
)
def test_bad_hyperparameter_files(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "hp.json"
    path.write_text(content)
    with pytest.raises(ParamsError, match=words):
        training.read_hyperparameters(path)


def test_unknown_hyperparameter_is_rejected() -> None:
    with pytest.raises(ParamsError, match="unknown key"):
        training.apply_overrides({}, {"train.bogus": "1"})


def test_training_failure_writes_the_reason_and_exits_nonzero(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOUSEPRICES_OPT_ML", str(tmp_path))
    (tmp_path / "input" / "data" / "training").mkdir(parents=True)
    assert training.main([str(tmp_path / "no-params.yaml")]) == 1
    failure = (tmp_path / "output" / "failure").read_text()
    assert failure.startswith("No training data: put Kaggle's train.csv in")


def test_training_csv_lookup(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError):
        training.training_csv(tmp_path)
    (tmp_path / "houses.csv").write_text("x\n")
    assert training.training_csv(tmp_path).name == "houses.csv"
    (tmp_path / "train.csv").write_text("x\n")
    assert training.training_csv(tmp_path).name == "train.csv"


def test_families_without_their_library_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    from houseprices.params import load_params
    from tests.conftest import REPO

    params = load_params(REPO / "params.yaml")
    assert "catboost" in params.train.families
    monkeypatch.setattr(training, "available", lambda name: name != "catboost")
    trimmed = training.installed_families_only(params)
    assert "catboost" not in trimmed.train.families
    assert set(trimmed.train.families) == set(params.train.families) - {"catboost"}
    assert "catboost" not in trimmed.ensemble.candidates
    monkeypatch.setattr(training, "available", lambda name: True)
    assert training.installed_families_only(params) is params
    monkeypatch.setattr(training, "available", lambda name: False)
    with pytest.raises(ParamsError, match="install their libraries"):
        training.installed_families_only(params)
