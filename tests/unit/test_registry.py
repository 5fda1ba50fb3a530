"""Champion/challenger promotion: the pure rule, the CV-scheme reading and the command."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from houseprices import registry
from houseprices.params import PromoteParams, parse_params
from houseprices.registry import Candidate, CVScheme, RegistryError, cv_scheme_from, decide

SCHEME = CVScheme("RepeatedKFold", n_splits=5, n_repeats=3, seed=42)
RULE = PromoteParams(metric="cv_rmsle", lower_is_better=True, margin=0.001)


def cand(value: object, scheme: CVScheme = SCHEME, data: str | None = "d1", **extra: object):
    metrics = {"cv_rmsle": value, "n_folds": scheme.n_folds, **extra}
    return Candidate("x", metrics, scheme, data)


# --- decide -------------------------------------------------------------------------------------


def test_challenger_beating_by_the_margin_is_promoted() -> None:
    d = decide(cand(0.110), cand(0.108), RULE)
    assert d.promote
    assert d.improvement == pytest.approx(0.002)
    assert "wins" in d.reason and "0.11000" in d.reason and "0.10800" in d.reason


def test_improvement_exactly_at_the_margin_is_promoted() -> None:
    assert decide(cand(0.1105), cand(0.1095), PromoteParams(margin=0.001)).promote


def test_improvement_below_the_margin_is_refused_with_the_numbers() -> None:
    d = decide(cand(0.1100), cand(0.1095), RULE)
    assert not d.promote
    assert "does not beat" in d.reason and "required ≥ 0.00100" in d.reason


def test_a_worse_challenger_is_refused() -> None:
    d = decide(cand(0.110), cand(0.120), RULE)
    assert not d.promote and d.improvement == pytest.approx(-0.010)


def test_equal_scores_are_refused_even_with_a_zero_margin() -> None:
    assert not decide(cand(0.11), cand(0.11), PromoteParams(margin=0.0)).promote


def test_higher_is_better_metrics_flip_the_comparison() -> None:
    rule = PromoteParams(metric="r2", lower_is_better=False, margin=0.005)
    champ, chall = cand(0.1, r2=0.930), cand(0.1, r2=0.940)
    assert decide(champ, chall, rule).promote
    assert not decide(chall, champ, rule).promote


def test_different_cv_schemes_are_refused_with_both_described() -> None:
    other = CVScheme("RepeatedKFold", n_splits=5, n_repeats=1, seed=42)
    d = decide(cand(0.2), cand(0.05, scheme=other), RULE)
    assert not d.promote
    assert "CV schemes differ" in d.reason
    assert SCHEME.fingerprint in d.reason and other.fingerprint in d.reason


@pytest.mark.parametrize(
    "other",
    [
        CVScheme("RepeatedKFold", 10, 3, 42),
        CVScheme("RepeatedKFold", 5, 3, 7),
        CVScheme("GroupKFold", 5, 3, 42),
    ],
)
def test_any_change_of_splitter_folds_or_seed_changes_the_scheme(other: CVScheme) -> None:
    assert other != SCHEME and other.fingerprint != SCHEME.fingerprint
    assert not decide(cand(0.2), cand(0.05, scheme=other), RULE).promote


def test_metrics_whose_fold_count_contradicts_the_scheme_are_refused() -> None:
    fast = Candidate("x", {"cv_rmsle": 0.05, "n_folds": 3}, SCHEME)
    d = decide(cand(0.2), fast, RULE)
    assert not d.promote and "3 folds" in d.reason and "15" in d.reason


def test_no_champion_promotes_the_first_model() -> None:
    d = decide(None, cand(0.11), RULE)
    assert d.promote and "No champion" in d.reason


def test_champion_without_the_metric_is_not_silently_replaced() -> None:
    d = decide(Candidate("x", {"rmse": 1}, SCHEME), cand(0.11), RULE)
    assert not d.promote and "Cannot compare" in d.reason


@pytest.mark.parametrize("bad", [None, "0.1", math.nan, math.inf, True])
def test_challenger_without_a_finite_metric_is_an_error(bad: object) -> None:
    with pytest.raises(RegistryError, match="cv_rmsle"):
        decide(cand(0.11), cand(bad), RULE)


def test_different_training_rows_are_noted_but_compared() -> None:
    d = decide(cand(0.110, data="a"), cand(0.100, data="b"), RULE)
    assert d.promote and any("training rows differ" in n for n in d.notes)
    assert not decide(cand(0.110), cand(0.100), RULE).notes


def test_markdown_names_the_verdict_and_both_models() -> None:
    champ, chall = cand(0.110), cand(0.105)
    md = decide(champ, chall, RULE).to_markdown(champ, chall)
    assert "promote the challenger" in md and md.count(SCHEME.fingerprint) == 2
    assert decide(None, chall, RULE).to_markdown(None, chall).count("|") > 0


# --- reading the CV scheme ----------------------------------------------------------------------

LOCK = {
    "stages": {
        "train": {
            "deps": [{"path": "data/processed/train.parquet", "md5": "abc"}],
            "params": {"params.yaml": {"train": {"seed": 1, "cv": {"n_splits": 4}}}},
        }
    }
}


def test_the_scheme_comes_from_dvc_lock_before_params_yaml() -> None:
    params = {"train": {"seed": 42, "cv": {"n_splits": 5, "n_repeats": 3}}}
    assert cv_scheme_from(LOCK, params) == CVScheme("RepeatedKFold", 4, 1, 1)
    assert cv_scheme_from(None, params) == SCHEME
    assert cv_scheme_from({"stages": {}}, params) == SCHEME
    assert registry.train_data_md5(LOCK) == "abc"
    assert registry.train_data_md5(None) is None


@pytest.mark.parametrize("params", [None, {}, {"train": {"cv": {}}}, {"train": {"seed": "x"}}])
def test_missing_or_broken_cv_parameters_are_an_error(params: dict | None) -> None:
    with pytest.raises(RegistryError):
        cv_scheme_from(None, params)


def test_promote_section_of_params_yaml_is_parsed_and_checked() -> None:
    rule = parse_params({"promote": {"metric": "r2", "lower_is_better": False, "margin": 0.01}})
    assert rule.promote == PromoteParams("r2", False, 0.01)
    assert parse_params({}).promote == PromoteParams()
    with pytest.raises(Exception, match="margin"):
        parse_params({"promote": {"margin": "big"}})
    with pytest.raises(Exception, match="unknown"):
        parse_params({"promote": {"treshold": 1}})


def test_repo_params_yaml_has_a_positive_margin() -> None:
    raw = yaml.safe_load((Path(__file__).parents[2] / "params.yaml").read_text())
    rule = parse_params(raw).promote
    assert rule.margin > 0 and rule.metric == "cv_rmsle" and rule.lower_is_better


# --- the command, against a throw-away git history ----------------------------------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _write_model(root: Path, value: float, n_repeats: int = 3) -> None:
    (root / "reports").mkdir(exist_ok=True)
    folds = 5 * n_repeats
    (root / "reports/metrics.json").write_text(json.dumps({"cv_rmsle": value, "n_folds": folds}))
    train = {"seed": 42, "cv": {"n_splits": 5, "n_repeats": n_repeats}}
    lock = {"stages": {"train": {"params": {"params.yaml": {"train": train}}}}}
    (root / "dvc.lock").write_text(yaml.safe_dump(lock))
    params = {"train": train, "promote": {"margin": 0.001}}
    (root / "params.yaml").write_text(yaml.safe_dump(params))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "config", "user.email", "ci@example.invalid")
    _git(tmp_path, "config", "user.name", "ci")
    _write_model(tmp_path, 0.110)
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "champion")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HOUSEPRICES_ROOT", raising=False)
    for var in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    return tmp_path


def _promote(*args: str) -> int:
    return CliRunner().invoke(registry.app, ["promote", *args]).exit_code


def test_command_promotes_a_better_challenger_and_writes_the_outputs(repo: Path) -> None:
    _write_model(repo, 0.105)
    assert _promote("--output", "out/decision.json") == 0
    assert (repo / "github_output").read_text() == "promote=true\n"
    assert "promote the challenger" in (repo / "github_step_summary").read_text()
    assert json.loads((repo / "out/decision.json").read_text())["promote"] is True


def test_command_keeps_the_champion_and_strict_fails(repo: Path) -> None:
    _write_model(repo, 0.1095)
    assert _promote() == 0
    assert (repo / "github_output").read_text() == "promote=false\n"
    assert "does not beat" in (repo / "github_step_summary").read_text()
    result = CliRunner().invoke(registry.app, ["promote", "--strict"])
    assert isinstance(result.exception, registry.NotPromotedError)
    assert "does not beat" in str(result.exception)


def test_command_refuses_a_challenger_scored_with_another_cv(repo: Path) -> None:
    _write_model(repo, 0.050, n_repeats=1)
    assert _promote() == 0
    assert "CV schemes differ" in (repo / "github_step_summary").read_text()


def test_command_reads_the_champion_from_a_file(repo: Path, tmp_path: Path) -> None:
    champ = tmp_path / "champion.json"
    champ.write_text(json.dumps({"cv_rmsle": 0.2, "n_folds": 15}))
    assert _promote("--champion-metrics", str(champ)) == 0
    assert (repo / "github_output").read_text() == "promote=true\n"


def test_command_with_an_unknown_revision_fails_clearly(repo: Path) -> None:
    result = CliRunner().invoke(registry.app, ["promote", "--champion-ref", "nope"])
    assert result.exit_code != 0
    assert isinstance(result.exception, RegistryError)
    assert "fetch-depth" in str(result.exception)


def test_command_without_committed_metrics_promotes_the_first_model(repo: Path) -> None:
    _git(repo, "rm", "-q", "--cached", "reports/metrics.json")
    _git(repo, "commit", "-qm", "no metrics")
    assert _promote() == 0
    assert "No champion" in (repo / "github_step_summary").read_text()


def test_summary_goes_to_stdout_without_github(repo: Path, monkeypatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    monkeypatch.delenv("GITHUB_OUTPUT")
    result = CliRunner().invoke(registry.app, ["promote"])
    assert result.exit_code == 0 and "keep the champion" in result.output
