"""Champion/challenger promotion: may a freshly trained model replace the one on main?

The champion is the model whose metrics are committed on a git revision (main by default);
the challenger is the one just reproduced in the working tree. Both are compared under the
`promote:` rule of params.yaml, and only when they were scored with the same CV scheme
(splitter, folds, repeats, seed) — otherwise the scores are not comparable and the answer is no.

`decide` is pure; the `promote` command reads the inputs (files or `git show REV:path`) and
writes the decision where the CI workflow reads it ($GITHUB_STEP_SUMMARY, $GITHUB_OUTPUT).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from houseprices.config import Paths
from houseprices.errors import HousePricesError
from houseprices.params import PromoteParams, apply_profile, load_params

log = logging.getLogger(__name__)

SPLITTER = "RepeatedKFold"  # what train.py uses; recorded so a change of splitter is caught
METRICS_PATH = "reports/metrics.json"
LOCK_PATH = "dvc.lock"
PARAMS_PATH = "params.yaml"


class RegistryError(HousePricesError):
    """The metrics or the CV scheme of a model could not be read."""


class NotPromotedError(HousePricesError):
    """`promote --strict`: the challenger did not win (the message says why)."""


@dataclass(frozen=True)
class CVScheme:
    """How a model's CV score was measured; two scores are comparable only under equal schemes."""

    splitter: str
    n_splits: int
    n_repeats: int
    seed: int

    @property
    def n_folds(self) -> int:
        return self.n_splits * self.n_repeats

    @property
    def fingerprint(self) -> str:
        canon = json.dumps(
            [self.splitter, self.n_splits, self.n_repeats, self.seed], separators=(",", ":")
        )
        return hashlib.sha256(canon.encode()).hexdigest()[:12]

    def describe(self) -> str:
        return (
            f"{self.splitter} {self.n_splits} folds x {self.n_repeats} repeats, "
            f"seed {self.seed} (fingerprint {self.fingerprint})"
        )


@dataclass(frozen=True)
class Candidate:
    """A model as the promotion rule sees it: its metrics and the CV scheme that produced them."""

    label: str
    metrics: dict[str, Any]
    cv_scheme: CVScheme
    data_md5: str | None = None  # of the training rows the train stage read (from dvc.lock)


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str
    metric: str
    challenger: float
    champion: float | None = None
    improvement: float | None = None  # positive when the challenger is better
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "promote": self.promote,
            "reason": self.reason,
            "metric": self.metric,
            "champion": self.champion,
            "challenger": self.challenger,
            "improvement": self.improvement,
            "notes": list(self.notes),
        }

    def to_markdown(self, champion: Candidate | None, challenger: Candidate) -> str:
        verdict = "✅ promote the challenger" if self.promote else "❌ keep the champion"
        lines = [f"### Champion / challenger: {verdict}", "", self.reason, ""]
        lines += ["| | metric | CV scheme |", "| --- | --- | --- |"]
        if champion is not None:
            value = champion.metrics.get(self.metric)
            lines.append(
                f"| {champion.label} | {self.metric} = {_fmt(value)} | "
                f"{champion.cv_scheme.describe()} |"
            )
        lines.append(
            f"| {challenger.label} | {self.metric} = {_fmt(self.challenger)} | "
            f"{challenger.cv_scheme.describe()} |"
        )
        lines += [f"\n- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    return f"{value:.5f}" if isinstance(value, int | float) else "—"


def _metric(candidate: Candidate, name: str) -> float | None:
    value = candidate.metrics.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def decide(champion: Candidate | None, challenger: Candidate, rule: PromoteParams) -> Decision:
    """Promote only if the challenger beats the champion by `rule.margin` under the same CV."""
    name = rule.metric
    mine = _metric(challenger, name)
    if mine is None:
        raise RegistryError(
            f"The challenger's metrics have no finite '{name}' "
            f"(got {challenger.metrics.get(name)!r}); rerun the pipeline (`make repro`) or fix "
            "promote.metric in params.yaml."
        )
    if champion is None:
        return Decision(True, "No champion yet: the first model is promoted.", name, mine)
    theirs = _metric(champion, name)
    if theirs is None:
        return Decision(
            False,
            f"Cannot compare: the champion's metrics have no finite '{name}' "
            f"(got {champion.metrics.get(name)!r}). Promote by hand if that is expected.",
            name,
            mine,
        )
    notes = []
    if champion.data_md5 and challenger.data_md5 and champion.data_md5 != challenger.data_md5:
        notes.append(
            "The training rows differ (new data or outlier parameters): same CV scheme, "
            "different rows, so part of the difference is the data."
        )
    for label, cand in (("champion", champion), ("challenger", challenger)):
        folds = cand.metrics.get("n_folds")
        if isinstance(folds, int) and folds != cand.cv_scheme.n_folds:
            return Decision(
                False,
                f"Not comparable: the {label}'s metrics come from {folds} folds but its CV scheme "
                f"has {cand.cv_scheme.n_folds} ({cand.cv_scheme.describe()}). The metrics were "
                "not produced by the recorded parameters (another profile?): reproduce it first.",
                name,
                mine,
                theirs,
            )
    if champion.cv_scheme != challenger.cv_scheme:
        return Decision(
            False,
            "Not comparable: the CV schemes differ (champion: "
            f"{champion.cv_scheme.describe()}; challenger: {challenger.cv_scheme.describe()}). "
            "Score the challenger with the champion's scheme, or retrain the champion with the "
            "new scheme, before comparing.",
            name,
            mine,
            theirs,
        )
    gain = (theirs - mine) if rule.lower_is_better else (mine - theirs)
    better = "lower" if rule.lower_is_better else "higher"
    summary = (
        f"{name}: champion {theirs:.5f}, challenger {mine:.5f} "
        f"({better} is better; improvement {gain:+.5f}, required ≥ {rule.margin:.5f})."
    )
    if gain >= rule.margin and gain > 0:
        return Decision(
            True, f"The challenger wins. {summary}", name, mine, theirs, gain, tuple(notes)
        )
    return Decision(
        False,
        f"The challenger does not beat the champion by the margin. {summary}",
        name,
        mine,
        theirs,
        gain,
        tuple(notes),
    )


# --- reading candidates -----------------------------------------------------------------------


def _effective(params: dict[str, Any]) -> dict[str, Any]:
    """Params as the pipeline sees them: `profiles.<profile>` applied, dotted keys expanded."""
    nested: dict[str, Any] = {}
    for key, value in params.items():
        node = nested
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return apply_profile(nested)


def cv_scheme_from(lock: dict[str, Any] | None, params: dict[str, Any] | None) -> CVScheme:
    """The CV scheme recorded for the train stage in dvc.lock, else the one in params.yaml.

    dvc.lock records the parameters the committed metrics were produced with, whereas
    params.yaml may have been edited since (that edit is what triggers a retrain).
    """
    train: Any = None
    if lock:  # the params a stage recording train.cv ran with (cv@<family> stages share them)
        for stage in (lock.get("stages") or {}).values():
            recorded = ((stage or {}).get("params") or {}).get(PARAMS_PATH) or {}
            candidate = _effective(recorded).get("train") if recorded else None
            if isinstance(candidate, dict) and "cv" in candidate:
                train = candidate
                break
    if not isinstance(train, dict) and params:
        train = _effective(params).get("train")
    if not isinstance(train, dict):
        raise RegistryError(
            "No 'train' parameters in dvc.lock or params.yaml: cannot tell the CV scheme."
        )
    cv = train.get("cv") or {}
    try:
        return CVScheme(
            splitter=str(cv.get("splitter", SPLITTER)),
            n_splits=int(cv["n_splits"]),
            n_repeats=int(cv.get("n_repeats", 1)),
            seed=int(train["seed"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryError(f"Incomplete CV parameters {train!r}: {exc}") from exc


def train_data_md5(lock: dict[str, Any] | None) -> str | None:
    """md5 of the train stage's data dependency recorded in dvc.lock, if any."""
    stages = (lock or {}).get("stages") or {}
    stage: dict[str, Any] = stages.get("fit") or next(
        (v for k, v in stages.items() if k.startswith("cv@")), {}
    )
    for dep in stage.get("deps") or []:
        if isinstance(dep, dict) and str(dep.get("path", "")).startswith("data/"):
            md5 = dep.get("md5")
            return str(md5) if md5 else None
    return None


def _loads(text: str | None, where: str) -> Any:
    if text is None:
        return None
    try:
        return yaml.safe_load(text)  # JSON is YAML
    except yaml.YAMLError as exc:
        raise RegistryError(f"{where} is not valid JSON/YAML: {exc}") from exc


def git_show(rev: str, path: str, cwd: Path) -> str | None:
    """`git show REV:PATH`; None if the file does not exist at that revision."""
    check = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        raise RegistryError(
            f"git revision '{rev}' not found in {cwd}. Fetch it first "
            "(e.g. `git fetch origin main`, or actions/checkout with fetch-depth: 0)."
        )
    shown = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=cwd, capture_output=True, text=True, check=False
    )
    return shown.stdout if shown.returncode == 0 else None


def candidate_from_git(rev: str, root: Path) -> Candidate | None:
    """The champion committed at `rev`; None when that revision has no metrics yet."""
    metrics = _loads(git_show(rev, METRICS_PATH, root), f"{rev}:{METRICS_PATH}")
    if not isinstance(metrics, dict):
        return None
    lock = _loads(git_show(rev, LOCK_PATH, root), f"{rev}:{LOCK_PATH}")
    params = _loads(git_show(rev, PARAMS_PATH, root), f"{rev}:{PARAMS_PATH}")
    return Candidate(
        f"champion ({rev})", metrics, cv_scheme_from(lock, params), train_data_md5(lock)
    )


def candidate_from_files(label: str, metrics: Path, lock: Path, params: Path) -> Candidate:
    if not metrics.exists():
        raise RegistryError(f"{metrics} not found: run the pipeline first (`make repro`).")
    data = _loads(metrics.read_text(), str(metrics))
    if not isinstance(data, dict):
        raise RegistryError(f"{metrics} does not hold a JSON object.")
    lock_data = _loads(lock.read_text(), str(lock)) if lock.exists() else None
    params_data = _loads(params.read_text(), str(params)) if params.exists() else None
    return Candidate(label, data, cv_scheme_from(lock_data, params_data), train_data_md5(lock_data))


# --- command line -----------------------------------------------------------------------------

app = typer.Typer(help="Model registry: champion/challenger promotion.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Model registry: champion/challenger promotion."""


def _append(path_var: str, text: str) -> bool:
    target = os.environ.get(path_var)
    if not target:
        return False
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(text)
    return True


@app.command("promote")
def promote_cmd(
    champion_ref: Annotated[
        str, typer.Option(help="Git revision whose committed metrics are the champion.")
    ] = "main",
    champion_metrics: Annotated[
        Path | None,
        typer.Option(help="Read the champion from this metrics file instead of git."),
    ] = None,
    champion_lock: Annotated[
        Path | None, typer.Option(help="dvc.lock of the champion (with --champion-metrics).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Also write the decision as JSON to this file.")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit with status 1 when the challenger is not promoted.")
    ] = False,
) -> None:
    """Decide whether the reproduced model (working tree) replaces the champion.

    Writes the reason as markdown to $GITHUB_STEP_SUMMARY (stdout when unset) and
    `promote=true|false` to $GITHUB_OUTPUT when set.
    """
    paths = Paths.from_root()
    rule = load_params(paths.params).promote
    challenger = candidate_from_files(
        "challenger (working tree)", paths.metrics, paths.root / LOCK_PATH, paths.params
    )
    if champion_metrics is not None:
        champion: Candidate | None = candidate_from_files(
            f"champion ({champion_metrics})",
            champion_metrics,
            champion_lock or paths.root / LOCK_PATH,
            paths.params,
        )
    else:
        champion = candidate_from_git(champion_ref, paths.root)
    decision = decide(champion, challenger, rule)
    log.info("promote=%s: %s", decision.promote, decision.reason)
    markdown = decision.to_markdown(champion, challenger)
    if not _append("GITHUB_STEP_SUMMARY", markdown + "\n"):
        typer.echo(markdown)
    _append("GITHUB_OUTPUT", f"promote={str(decision.promote).lower()}\n")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(decision.as_dict(), indent=2) + "\n")
    if strict and not decision.promote:
        raise NotPromotedError(decision.reason)


if __name__ == "__main__":
    from houseprices.runner import run

    run(app)
