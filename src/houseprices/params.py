"""params.yaml parsed once into frozen dataclasses; core code receives these, never YAML."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from houseprices.errors import ParamsError


@dataclass(frozen=True)
class OutlierParams:
    """Training rows with GrLivArea above `max_grlivarea` AND SalePrice below `min_saleprice`."""

    max_grlivarea: float = 4000
    min_saleprice: float = 300000


@dataclass(frozen=True)
class FeatureParams:
    outliers: OutlierParams = field(default_factory=OutlierParams)


@dataclass(frozen=True)
class CVParams:
    n_splits: int = 5
    n_repeats: int = 3


@dataclass(frozen=True)
class TrainParams:
    """`families` maps each candidate family to {"prep": {...}, "model": {...}}."""

    seed: int = 42
    n_jobs: int = 2
    # "threading" (default): folds in threads of one process, no worker start-up (the heavy
    # parts release the GIL); "loky": worker processes, for many cores and GIL-bound models
    backend: str = "threading"
    backend_by_family: dict[str, str] = field(default_factory=dict)
    cv: CVParams = field(default_factory=CVParams)
    families: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChampionRule:
    """The ensemble is champion if it beats the best single family by `min_gain` RMSLE."""

    min_gain: float = 0.0005


@dataclass(frozen=True)
class EnsembleParams:
    method: str = "nnls"
    candidates: tuple[str, ...] = ()  # empty: every family
    # members whose NNLS weight stays below this are dropped (the lightest first, weights
    # refitted each time): each costs serving time for a negligible share of the blend
    min_weight: float = 0.0
    champion: ChampionRule = field(default_factory=ChampionRule)


@dataclass(frozen=True)
class EvaluateParams:
    interval_coverage: float = 0.90
    interval_bands: int = 1  # >1: Mondrian conformal by predicted-price band


@dataclass(frozen=True)
class TuneParams:
    """Optuna search (`make tune`); never part of `dvc repro`."""

    n_trials: dict[str, int] = field(default_factory=dict)
    timeout_minutes: float = 30
    n_splits: int = 5
    seed: int = 7


@dataclass(frozen=True)
class PromoteParams:
    """Champion/challenger rule: the challenger must beat the champion's `metric` by `margin`."""

    metric: str = "cv_rmsle"
    lower_is_better: bool = True
    margin: float = 0.001


@dataclass(frozen=True)
class Params:
    profile: str = "full"
    features: FeatureParams = field(default_factory=FeatureParams)
    train: TrainParams = field(default_factory=TrainParams)
    ensemble: EnsembleParams = field(default_factory=EnsembleParams)
    evaluate: EvaluateParams = field(default_factory=EvaluateParams)
    tune: TuneParams = field(default_factory=TuneParams)
    promote: PromoteParams = field(default_factory=PromoteParams)


def _build(cls: type, data: Any, where: str) -> Any:
    """Build dataclass `cls` from a mapping, recursing into nested dataclasses."""
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise ParamsError(f"params.yaml: '{where}' must be a mapping, got {type(data).__name__}.")
    known = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise ParamsError(
            f"params.yaml: unknown key(s) {sorted(unknown)} under '{where}'. "
            f"Allowed: {sorted(known)}. Fix the spelling or remove them."
        )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        ftype = known[name].type
        nested = _NESTED.get((cls.__name__, name))
        if nested is not None:
            kwargs[name] = _build(nested, value, f"{where}.{name}" if where else name)
        elif ftype in ("int", "float") and not isinstance(value, int | float):
            raise ParamsError(f"params.yaml: '{where}.{name}' must be a number, got {value!r}.")
        else:
            kwargs[name] = value
    return cls(**kwargs)


_NESTED: dict[tuple[str, str], type] = {
    ("Params", "features"): FeatureParams,
    ("Params", "train"): TrainParams,
    ("Params", "ensemble"): EnsembleParams,
    ("Params", "evaluate"): EvaluateParams,
    ("Params", "tune"): TuneParams,
    ("Params", "promote"): PromoteParams,
    ("FeatureParams", "outliers"): OutlierParams,
    ("TrainParams", "cv"): CVParams,
    ("EnsembleParams", "champion"): ChampionRule,
}

# Sections of params.yaml that belong to other stages and are read elsewhere (or not at all).
_PASSTHROUGH = {"data", "validate", "submission", "profiles"}


def apply_profile(raw: dict[str, Any]) -> dict[str, Any]:
    """Overlay `profiles.<profile>` (dotted keys -> values) on the raw params."""
    name = raw.get("profile", "full")
    profiles = raw.get("profiles") or {}
    if name == "full" and "full" not in profiles:
        return raw
    if name not in profiles:
        raise ParamsError(
            f"params.yaml: profile '{name}' is not defined under 'profiles' "
            f"(defined: {sorted(profiles)}). Set profile to one of them or to 'full'."
        )
    merged = copy.deepcopy(raw)
    for dotted, value in (profiles[name] or {}).items():
        node = merged
        *parents, leaf = dotted.split(".")
        for key in parents:
            if not isinstance(node.get(key), dict):
                raise ParamsError(
                    f"params.yaml: profile '{name}' overrides unknown key '{dotted}'."
                )
            node = node[key]
        node[leaf] = value
    return merged


def parse_params(raw: dict[str, Any]) -> Params:
    """Parse an already-loaded params mapping (the unit tests use this directly)."""
    effective = apply_profile(raw or {})
    own = {k: v for k, v in effective.items() if k not in _PASSTHROUGH}
    params: Params = _build(Params, own, "")
    return params


def load_params(path: Path) -> Params:
    """Read and parse params.yaml; the only place YAML is read."""
    if not path.exists():
        raise ParamsError(
            f"{path} not found. Run from the repository root or set HOUSEPRICES_ROOT."
        )
    with path.open() as fh:
        return parse_params(yaml.safe_load(fh) or {})
