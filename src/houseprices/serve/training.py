"""The container's `train` program: SageMaker's training contract around `houseprices.train`.

Reads `/opt/ml/input/config/hyperparameters.json` (string values; keys are dotted paths into
params.yaml, e.g. `{"train.model.params.alpha": "0.001", "train.cv.n_repeats": "1"}`), the
Kaggle train.csv from the `training` channel, trains exactly as the pipeline does (schema
validation, outlier removal, CV, fit, conformal interval) and writes `/opt/ml/model/`. On any
failure it writes the reason to `/opt/ml/output/failure` and exits non-zero.
"""

from __future__ import annotations

import copy
import json
import logging
import signal
import sys
import traceback
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

from houseprices import schema
from houseprices.config import Paths
from houseprices.errors import DataNotFoundError, HousePricesError, ParamsError
from houseprices.features import remove_outliers
from houseprices.model import HousePriceModel
from houseprices.models import available
from houseprices.params import Params, parse_params
from houseprices.serve.opt_ml import OptMl
from houseprices.train import train_all

log = logging.getLogger(__name__)


def read_hyperparameters(path: Path) -> dict[str, str]:
    """SageMaker's hyperparameters.json: a flat object of string values (absent = none)."""
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ParamsError(f"{path} is not valid JSON ({exc}); write a flat object.") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path} must hold a JSON object of name -> string value.")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}


def apply_overrides(base: dict[str, Any], hyperparameters: dict[str, str]) -> Params:
    """params.yaml with each dotted key set to its YAML-parsed value, validated."""
    merged = copy.deepcopy(base)
    for key, text in hyperparameters.items():
        parts = key.split(".")
        node = merged
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ParamsError(f"hyperparameter {key!r}: {part!r} is not a section.")
            node = child
        node[parts[-1]] = yaml.safe_load(text)
    return parse_params(merged)


def training_csv(channel: Path) -> Path:
    """train.csv in the channel, or its only CSV file."""
    if (channel / "train.csv").is_file():
        return channel / "train.csv"
    found = sorted(channel.glob("*.csv")) if channel.is_dir() else []
    if len(found) == 1:
        return found[0]
    raise DataNotFoundError(
        f"No training data: put Kaggle's train.csv in {channel} (found {[p.name for p in found]})."
    )


def installed_families_only(params: Params) -> Params:
    """`params` without the families whose library is not installed (the image leaves out
    optional CatBoost): they are skipped with a warning, not a failure."""
    missing = [name for name in params.train.families if not available(name)]
    if not missing:
        return params
    log.warning("skipping families %s: their library is not installed in this environment", missing)
    families = {k: v for k, v in params.train.families.items() if k not in missing}
    if not families:
        raise ParamsError(
            f"None of the families {missing} can be trained here: install their libraries "
            "or choose others with the hyperparameter train.families."
        )
    candidates = tuple(c for c in params.ensemble.candidates if c not in missing)
    if params.ensemble.candidates and not candidates:
        candidates = tuple(families)
    return replace(
        params,
        train=replace(params.train, families=families),
        ensemble=replace(params.ensemble, candidates=candidates),
    )


def run_training(ml: OptMl, params_path: Path) -> HousePriceModel:
    base = yaml.safe_load(params_path.read_text()) if params_path.is_file() else {}
    params = apply_overrides(base or {}, read_hyperparameters(ml.hyperparameters))
    source = training_csv(ml.training)
    frame = schema.validate_frame(schema.read_csv(source), with_target=True, source=str(source))
    outliers = params.features.outliers
    kept = remove_outliers(frame, outliers.max_grlivarea, outliers.min_saleprice)
    log.info(
        "training on %d rows of %s (%d outliers removed)", len(kept), source, len(frame) - len(kept)
    )
    model, selection = train_all(kept, installed_families_only(params))
    log.info("champion %s (%s)", selection.champion, selection.reason)
    model.save(ml.model)
    (ml.model_dir / "model.json").write_text(json.dumps(model.metadata, indent=2) + "\n")
    log.info("wrote %s", ml.model)
    return model


def write_failure(ml: OptMl, exc: BaseException) -> None:
    reason = str(exc) if isinstance(exc, HousePricesError) else f"{type(exc).__name__}: {exc}"
    try:
        ml.output.mkdir(parents=True, exist_ok=True)
        ml.failure.write_text(reason + "\n\n" + traceback.format_exc())
    except OSError:
        log.exception("could not write %s", ml.failure)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt("stopped by SIGTERM")


def main(argv: list[str] | None = None) -> int:
    from houseprices.runner import configure_logging

    configure_logging()
    signal.signal(signal.SIGTERM, _on_sigterm)
    ml = OptMl.from_env()
    params_path = Path(argv[0]) if argv else Paths.from_root().params
    try:
        run_training(ml, params_path)
    except (Exception, KeyboardInterrupt) as exc:
        log.error("training failed: %s", exc)
        write_failure(ml, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
