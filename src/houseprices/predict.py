"""Batch prediction with the trained model, and the Kaggle submission stage."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import typer

from houseprices import schema
from houseprices.config import Paths
from houseprices.data import validate_file
from houseprices.model import HousePriceModel

log = logging.getLogger(__name__)


def predict_frame(model: HousePriceModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Id (when present), SalePrice and the interval bounds for every row of `frame`."""
    out = model.predict_frame(frame)
    if schema.ID in frame.columns:
        out.insert(0, schema.ID, frame[schema.ID].to_numpy())
    return out.reset_index(drop=True)


def predict_file(model_path: Path, input_csv: Path, interval: bool = True) -> pd.DataFrame:
    """Validate a test.csv-format file and predict every row."""
    frame, summary = validate_file(input_csv, with_target=None)
    for warning in summary.warnings:
        log.warning("%s: %s", input_csv, warning)
    out = predict_frame(
        HousePriceModel.load(model_path), frame.drop(columns=[schema.TARGET], errors="ignore")
    )
    return out if interval else out[[c for c in out.columns if c not in ("lower", "upper")]]


def write_submission(paths: Paths) -> pd.DataFrame:
    """Kaggle's format: Id,SalePrice for every row of test.csv."""
    model = HousePriceModel.load(paths.model)
    test = pd.read_parquet(paths.interim / "test.parquet")
    submission = predict_frame(model, test)[[schema.ID, "SalePrice"]]
    paths.reports.mkdir(parents=True, exist_ok=True)
    submission.to_csv(paths.submission, index=False)
    return submission


app = typer.Typer(help="Predict sale prices.")


@app.command("batch")
def batch_cmd(
    input_csv: Path = typer.Argument(..., help="A CSV in test.csv's format."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the predictions."),
    model: Path | None = typer.Option(None, help="Model artifact (default models/model.joblib)."),
    interval: bool = typer.Option(True, help="Include the 90 % interval bounds."),
) -> None:
    """Predict every row of INPUT_CSV and write Id,SalePrice[,lower,upper] to OUTPUT."""
    out = predict_file(model or Paths.from_root().model, input_csv, interval)
    output.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(output, index=False)
    typer.echo(f"wrote {len(out)} predictions to {output}")


@app.command("submission")
def submission_cmd() -> None:
    """Pipeline stage: write reports/submission.csv for Kaggle."""
    paths = Paths.from_root()
    submission = write_submission(paths)
    typer.echo(f"wrote {len(submission)} rows to {paths.submission}")


if __name__ == "__main__":
    from houseprices.runner import run

    run(app)
