"""Blending the candidate families: weights fitted on out-of-fold predictions only.

`nnls_weights` fits non-negative weights (normalised to sum to one) on an OOF prediction
matrix. `blend_cv` scores the blend honestly with a fresh CV over the OOF matrix: for each
fold of a new split (another seed), the weights are fitted on the other folds' rows and
applied to the held-out rows. `BlendedEnsemble` is the fitted champion: every member
pipeline refitted on all rows, transformer prefixes that members share computed once.
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import typer
from scipy.optimize import nnls
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline

from houseprices import inference
from houseprices.config import Paths
from houseprices.evaluate import fold_rmsle
from houseprices.model import ConformalInterval
from houseprices.params import Params, load_params

log = logging.getLogger(__name__)


def nnls_weights(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative least squares weights of the columns of P, normalised to sum to 1."""
    w, _ = nnls(np.asarray(P, dtype=float), np.asarray(y, dtype=float))
    total = w.sum()
    return w / total if total > 0 else np.full(P.shape[1], 1.0 / P.shape[1])


def oof_matrix(oof: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Families' OOF frames (Id, repeat, fold, y_true, y_pred) -> one wide frame."""
    keys = ["Id", "repeat", "fold", "y_true"]
    wide: pd.DataFrame | None = None
    for name, frame in oof.items():
        part = frame[[*keys, "y_pred"]].rename(columns={"y_pred": name})
        wide = part if wide is None else wide.merge(part, on=keys, validate="one_to_one")
    if wide is None:
        raise ValueError("no out-of-fold predictions to blend")
    return wide.sort_values(["repeat", "Id"]).reset_index(drop=True)


def blend_cv(wide: pd.DataFrame, families: list[str], n_splits: int, seed: int) -> pd.DataFrame:
    """Fresh-CV blend predictions: Id, repeat, fold, y_true, y_pred (same shape as a family's).

    For every repeat of the base CV, a new KFold (seed + 1000 + repeat) splits the OOF rows;
    each fold's rows get the blend whose weights were fitted on the other folds' rows.
    """
    parts = []
    for repeat in sorted(int(r) for r in wide["repeat"].unique()):
        rows = wide[wide["repeat"] == repeat].reset_index(drop=True)
        P, y = rows[families].to_numpy(), rows["y_true"].to_numpy()
        pred = np.empty(len(rows))
        fold = np.empty(len(rows), dtype=int)
        splitter = KFold(n_splits, shuffle=True, random_state=seed + 1000 + repeat)
        for k, (fit_idx, held_idx) in enumerate(splitter.split(P)):
            pred[held_idx] = P[held_idx] @ nnls_weights(P[fit_idx], y[fit_idx])
            fold[held_idx] = k
        parts.append(
            pd.DataFrame(
                {"Id": rows["Id"], "repeat": repeat, "fold": fold, "y_true": y, "y_pred": pred}
            )
        )
    return pd.concat(parts, ignore_index=True)


def prune(wide: pd.DataFrame, families: list[str], min_weight: float) -> list[str]:
    """`families` without those whose NNLS weight is below `min_weight`: the lightest is
    dropped and the weights refitted until every remaining member carries at least that much
    (members with weight 0 are dropped too). `min_weight` 0 keeps every family."""
    kept = list(families)
    if min_weight <= 0:
        return kept
    y = wide["y_true"].to_numpy()
    while len(kept) > 1:
        weights = nnls_weights(wide[kept].to_numpy(), y)
        lightest = int(np.argmin(weights))
        if weights[lightest] >= min_weight and weights[lightest] > 0:
            break
        log.info("ensemble: dropping %s (weight %.4f)", kept[lightest], weights[lightest])
        kept.pop(lightest)
    return kept


_EXECUTOR: ThreadPoolExecutor | None = None


def _member_executor() -> ThreadPoolExecutor | None:
    """One small thread pool per process (made on first use, so never across a fork). It has
    a thread per member (up to 8): all members start at once, so the slowest (LightGBM, which
    also uses every core itself) never waits behind the others for a thread."""
    global _EXECUTOR
    if (os.cpu_count() or 1) < 2:
        return None
    if _EXECUTOR is None:
        _EXECUTOR = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ensemble")
    return _EXECUTOR


def _prefix_key(pipeline: Pipeline) -> str:
    return repr(
        [
            (name, type(step).__name__, sorted(step.get_params(deep=False).items()))
            for name, step in pipeline.steps[:-1]
        ]
    )


class BlendedEnsemble(RegressorMixin, BaseEstimator):
    """Weighted sum of member pipelines' predictions (log scale).

    Members whose transformer steps (everything before the final estimator) have the same
    parameters share one fitted copy of those steps: identical to fitting each pipeline on
    its own, but the features are computed once per distinct preprocessing at predict time.
    """

    #: the members' feature steps take raw rows as dicts too (see HouseFeaturizer)
    accepts_records = True
    #: batches from this many rows on are predicted by the members in parallel threads
    parallel_min_rows = inference.PARALLEL_MIN_ROWS

    def __init__(self, members: list[tuple[str, Pipeline]], weights: dict[str, float]) -> None:
        self.members = members
        self.weights = weights

    def fit(self, X: Any, y: Any) -> BlendedEnsemble:
        y = np.asarray(y, dtype=float)
        used = [(name, pipe) for name, pipe in self.members if self.weights.get(name, 0) > 0]
        if not used:
            raise ValueError("every ensemble weight is zero; nothing to fit")
        total = sum(self.weights[name] for name, _ in used)
        self.prefixes_: dict[str, Pipeline | None] = {}
        features: dict[str, Any] = {}
        self.estimators_: list[tuple[str, str, Any, float]] = []
        for name, pipe in used:
            key = _prefix_key(pipe)
            if key not in self.prefixes_:
                prefix = (
                    Pipeline([(n, clone(s)) for n, s in pipe.steps[:-1]])
                    if len(pipe.steps) > 1
                    else None
                )
                self.prefixes_[key] = prefix
                features[key] = prefix.fit_transform(X, y) if prefix is not None else X
            estimator = clone(pipe.steps[-1][1]).fit(features[key], y)
            self.estimators_.append((name, key, estimator, self.weights[name] / total))
        log.info(
            "ensemble of %d members over %d distinct feature sets",
            len(self.estimators_),
            len(self.prefixes_),
        )
        return self

    def _member_predictions(self, X: Any) -> dict[str, np.ndarray]:
        """Each member's prediction; past the first pipeline step no input is re-validated
        (houseprices.inference: same arithmetic, same numbers). From `parallel_min_rows`
        rows on, the members predict in threads (their libraries release the GIL): a
        test-set-sized batch takes about the time of the slowest member, not of all."""
        features = inference.transform_all(self.prefixes_, X)
        n_rows = len(next(iter(features.values())))

        def member(name: str, key: str, est: Any) -> np.ndarray:
            return np.asarray(inference.predict_fn(est)(features[key]), dtype=float)

        executor = _member_executor() if n_rows >= self.parallel_min_rows else None
        if executor is None or len(self.estimators_) < 2:
            return {name: member(name, key, est) for name, key, est, _ in self.estimators_}
        futures = {
            name: executor.submit(member, name, key, est) for name, key, est, _ in self.estimators_
        }
        return {name: future.result() for name, future in futures.items()}

    def predict_members(self, X: Any) -> pd.DataFrame:
        return pd.DataFrame(self._member_predictions(X))

    def predict(self, X: Any) -> np.ndarray:
        members = self._member_predictions(X)
        weights = np.array([w for *_, w in self.estimators_])
        return np.column_stack(list(members.values())) @ weights

    @property
    def weights_(self) -> dict[str, float]:
        return {name: w for name, _, _, w in self.estimators_}


@dataclass
class Selection:
    """What the ensemble stage decided: the champion, its member weights and its interval."""

    champion: str
    weights: dict[str, float]
    scores: dict[str, dict[str, float]]
    interval: dict[str, Any]
    reason: str
    cv_scheme: dict[str, Any]
    method: str = "nnls"
    oof: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def save(self, path: Path) -> None:
        data = {k: v for k, v in asdict(self).items() if k != "oof"}
        path.write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> Selection:
        return cls(**json.loads(path.read_text()))


def _score(oof: pd.DataFrame) -> dict[str, float]:
    scores = fold_rmsle(oof)
    return {"cv_rmsle": float(scores.mean()), "cv_rmsle_std": float(scores.std(ddof=1))}


def select(oofs: dict[str, pd.DataFrame], params: Params) -> Selection:
    """Score every family and the blend on the same folds; pick the champion by the rule."""
    candidates = list(params.ensemble.candidates) or list(oofs)
    missing = [c for c in candidates if c not in oofs]
    if missing:
        raise KeyError(
            f"ensemble.candidates {missing} have no CV predictions; add them to "
            "train.families or remove them from ensemble.candidates."
        )
    if params.ensemble.method != "nnls":
        raise ValueError(f"ensemble.method '{params.ensemble.method}' is not supported; use nnls.")
    scores = {name: _score(oof) for name, oof in oofs.items()}
    wide = oof_matrix({c: oofs[c] for c in candidates})
    members = prune(wide, candidates, params.ensemble.min_weight)
    blend_oof = blend_cv(wide, members, params.train.cv.n_splits, params.train.seed)
    scores["ensemble"] = _score(blend_oof)
    full = nnls_weights(wide[members].to_numpy(), wide["y_true"].to_numpy())
    weights = {c: round(float(w), 6) for c, w in zip(members, full) if w > 1e-6}
    best = min(candidates, key=lambda c: scores[c]["cv_rmsle"])
    gain = scores[best]["cv_rmsle"] - scores["ensemble"]["cv_rmsle"]
    rule = params.ensemble.champion
    if gain >= rule.min_gain:
        champion, champion_oof = "ensemble", blend_oof
        reason = (
            f"the NNLS ensemble ({scores['ensemble']['cv_rmsle']:.5f}) beats the best "
            f"single family {best} ({scores[best]['cv_rmsle']:.5f}) by {gain:.5f} "
            f">= ensemble.champion.min_gain {rule.min_gain}"
        )
    else:
        champion, champion_oof, weights = best, oofs[best], {best: 1.0}
        reason = (
            f"the ensemble gains only {gain:.5f} < ensemble.champion.min_gain "
            f"{rule.min_gain} over {best}, the best single family"
        )
    dropped = [c for c in candidates if c not in members]
    if champion == "ensemble" and dropped:
        reason += (
            f"; members under ensemble.min_weight {params.ensemble.min_weight} dropped: "
            + ", ".join(dropped)
        )
    interval = ConformalInterval.calibrate(
        champion_oof["y_true"].to_numpy(),
        champion_oof["y_pred"].to_numpy(),
        params.evaluate.interval_coverage,
        params.evaluate.interval_bands,
    )
    cv = params.train.cv
    return Selection(
        champion=champion,
        weights=weights,
        scores=scores,
        interval=asdict(interval),
        reason=reason,
        cv_scheme={
            "splitter": "RepeatedKFold",
            "n_splits": cv.n_splits,
            "n_repeats": cv.n_repeats,
            "seed": params.train.seed,
        },
        oof=champion_oof,
    )


app = typer.Typer(help="Blend the families and choose the champion.")


@app.command()
def main() -> None:
    """Pipeline stage: reports/cv/*.csv -> reports/selection.json, reports/oof_predictions.csv."""
    paths = Paths.from_root()
    params = load_params(paths.params)
    oofs = {name: pd.read_csv(paths.cv / f"{name}.csv") for name in params.train.families}
    selection = select(oofs, params)
    selection.save(paths.selection)
    selection.oof.to_csv(paths.oof, index=False)
    typer.echo(f"champion: {selection.champion} ({selection.reason})")
    typer.echo("weights: " + ", ".join(f"{k} {v:.3f}" for k, v in selection.weights.items()))


if __name__ == "__main__":
    from houseprices.runner import run

    run(app)
