"""The real DVC pipeline on the real data, in a temporary copy of the repository."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from houseprices.config import RAW_FILES
from houseprices.data import sha256
from tests.integration.conftest import run

pytestmark = pytest.mark.slow
STAGES = ("validate", "features", "ensemble", "fit", "evaluate", "submission")


@pytest.fixture(scope="module")
def repo(repo_factory, data_dir: Path, tmp_path_factory) -> Path:
    root = repo_factory("pipeline")
    remote = tmp_path_factory.mktemp("dvc-remote")
    run(["dvc", "remote", "modify", "--local", "local", "url", str(remote)], root)
    run(["houseprices", "data", "fetch"], root, HOUSE_PRICES_DATA=str(data_dir))
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["profile"] = "fast"  # the CI profile: one CV repeat
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["dvc", "repro"], root, HOUSEPRICES_TRACKING="off")
    run(["git", "add", "-A"], root)
    run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "commit",
            "--allow-empty",
            "-qm",
            "repro",
        ],
        root,
    )
    return root


def _changed_stages(root: Path) -> set[str]:
    status = json.loads(run(["dvc", "status", "--json"], root).stdout or "{}")
    return {key.split(":")[-1] for key in status}


def test_pipeline_writes_every_output(repo: Path) -> None:
    for rel in (
        "data/interim/train.parquet",
        "data/processed/train.parquet",
        "models/model.joblib",
        "reports/metrics.json",
        "reports/plots/pred_vs_actual.png",
        "reports/plots/residuals.csv",
        "reports/submission.csv",
        "reports/validation.json",
    ):
        assert (repo / rel).is_file(), rel


def test_metrics_meet_the_baseline_target(repo: Path) -> None:
    metrics = json.loads((repo / "reports/metrics.json").read_text())
    assert metrics["cv_rmsle"] <= 0.115  # fast profile: one repeat
    assert metrics["n_folds"] == 5
    assert 0 < metrics["cv_rmsle_std"] < 0.03
    assert set(metrics["families"]) == set(
        yaml.safe_load((repo / "params.yaml").read_text())["train"]["families"]
    )
    assert metrics["r2"] > 0.85 and metrics["rmse_usd"] > 0 and metrics["mae_usd"] > 0
    assert 0.85 <= metrics["interval_coverage"] <= 0.95


def test_submission_has_kaggle_format(repo: Path, test_raw: pd.DataFrame) -> None:
    submission = pd.read_csv(repo / "reports/submission.csv")
    assert list(submission.columns) == ["Id", "SalePrice"]
    assert submission["Id"].tolist() == test_raw["Id"].tolist()
    assert submission["SalePrice"].between(20_000, 1_500_000).all()


def test_batch_predict_matches_submission(repo: Path) -> None:
    run(["houseprices", "predict", "data/raw/test.csv", "-o", "out/pred.csv"], repo)
    pred = pd.read_csv(repo / "out/pred.csv")
    submission = pd.read_csv(repo / "reports/submission.csv")
    assert list(pred.columns) == ["Id", "SalePrice", "lower", "upper"]
    pd.testing.assert_series_equal(pred["SalePrice"], submission["SalePrice"], rtol=1e-9)


def test_noop_repro_skips_every_stage(repo: Path) -> None:
    assert _changed_stages(repo) == set()
    started = time.perf_counter()
    out = run(["dvc", "repro"], repo).stdout
    elapsed = time.perf_counter() - started
    assert "up to date" in out and "Running stage" not in out
    assert elapsed < 30


def test_train_param_change_reruns_only_train_and_after(repo: Path) -> None:
    params_path = repo / "params.yaml"
    params = yaml.safe_load(params_path.read_text())
    params["train"]["families"]["lasso"]["model"]["alpha"] *= 1.5
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        # only the lasso CV (and the final fit, which uses every family's params) are stale
        assert _changed_stages(repo) == {"cv@lasso", "fit"}
        out = run(["dvc", "repro"], repo, HOUSEPRICES_TRACKING="off").stdout
        ran = {s for s in STAGES if f"Running stage '{s}'" in out}
        ran |= {line.split("'")[1] for line in out.splitlines() if "Running stage 'cv@" in line}
        # evaluate/submission rerun only if the champion changed: a member that the ensemble
        # drops (weight under ensemble.min_weight) leaves the model file identical
        assert {"cv@lasso", "ensemble", "fit"} <= ran
        assert ran <= {"cv@lasso", "ensemble", "fit", "evaluate", "submission"}
    finally:  # back to the committed version, outputs restored from the DVC cache
        run(["git", "checkout", "HEAD", "--", "."], repo)
        run(["dvc", "checkout", "--force"], repo)
    assert _changed_stages(repo) == set()


def test_feature_param_change_reruns_features(repo: Path) -> None:
    params_path = repo / "params.yaml"
    original = params_path.read_text()
    try:
        params = yaml.safe_load(original)
        params["features"]["outliers"]["max_grlivarea"] = 4500
        params_path.write_text(yaml.safe_dump(params, sort_keys=False))
        assert _changed_stages(repo) == {"features"}
    finally:
        params_path.write_text(original)


def test_push_then_pull_on_a_clean_clone_is_bit_identical(repo: Path, tmp_path: Path) -> None:
    run(["dvc", "push"], repo)
    remote = run(["dvc", "remote", "list", "--local"], repo).stdout.split()[1]
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
    run(["dvc", "remote", "modify", "--local", "local", "url", remote], clone)
    run(["dvc", "pull"], clone)
    for name in RAW_FILES:
        assert sha256(clone / "data/raw" / name) == sha256(repo / "data/raw" / name)
    assert sha256(clone / "models/model.joblib") == sha256(repo / "models/model.joblib")
    assert _changed_stages(clone) == set()


def test_broken_file_stops_the_pipeline_and_writes_nothing(repo: Path) -> None:
    train_csv = repo / "data/raw/train.csv"
    original = train_csv.read_bytes()
    try:
        lines = original.decode().splitlines()
        lines[5] = "1," + lines[5].split(",", 1)[1]  # duplicate Id 1
        train_csv.unlink()  # DVC may have linked it to the cache: replace, don't edit in place
        train_csv.write_text("\n".join(lines) + "\n")
        result = run(["dvc", "repro"], repo, check=False)
        assert result.returncode != 0
        assert (
            "column Id" in result.stderr + result.stdout
            and "CSV lines [2, 6]" in result.stderr + result.stdout
        )
        assert not (repo / "data/interim/train.parquet").exists()
        assert "Running stage 'features'" not in result.stdout
    finally:
        train_csv.unlink()
        train_csv.write_bytes(original)


def test_same_seed_and_data_give_identical_metrics(repo: Path) -> None:
    before = {p.name: p.read_text() for p in (repo / "reports/cv").glob("*.json")}
    before["metrics.json"] = (repo / "reports/metrics.json").read_text()
    run(["dvc", "repro", "--force", "--single-item", "cv@lightgbm", "cv@catboost"], repo)
    run(
        ["dvc", "repro", "--force", "--single-item", "ensemble", "evaluate"],
        repo,
        HOUSEPRICES_TRACKING="off",
    )
    after = {p.name: p.read_text() for p in (repo / "reports/cv").glob("*.json")}
    after["metrics.json"] = (repo / "reports/metrics.json").read_text()
    drop = ("cv_seconds", "fit_seconds_mean")  # wall-clock timings differ, scores must not
    strip = {
        k: {m: v for m, v in json.loads(t).items() if m not in drop} for k, t in before.items()
    }
    again = {k: {m: v for m, v in json.loads(t).items() if m not in drop} for k, t in after.items()}
    assert strip == again
