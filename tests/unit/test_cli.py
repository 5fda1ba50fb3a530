from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from houseprices.cli import app

runner = CliRunner()


def test_help_lists_the_verbs() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for verb in ("data", "features", "train", "evaluate", "predict", "submission"):
        assert verb in result.output


def test_validate_ok(data_dir: Path) -> None:
    result = runner.invoke(app, ["data", "validate", str(data_dir / "test.csv")])
    assert result.exit_code == 0, result.output
    assert "OK test.csv: 1459 rows x 80 columns" in result.output
    assert "warning: GarageYrBlt" in result.output


def test_validate_broken_file_exits_1_naming_the_column(
    tmp_path: Path, test_raw: pd.DataFrame
) -> None:
    broken = test_raw.head(20).copy()
    broken.loc[3, "LotArea"] = -1
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    result = runner.invoke(app, ["data", "validate", str(path)])
    assert result.exit_code == 1
    assert "column LotArea" in result.output and "CSV lines [5]" in result.output


def test_metrics_table_and_missing_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOUSEPRICES_ROOT", str(tmp_path))
    result = runner.invoke(app, ["metrics"])
    assert result.exit_code == 1 and "make run" in result.output
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports/metrics.json").write_text(
        '{"cv_rmsle": 0.1042, "n_folds": 15, "families": {"lasso": {"cv_rmsle": 0.1083}}}'
    )
    result = runner.invoke(app, ["metrics"])
    assert result.exit_code == 0
    assert "cv_rmsle" in result.output and "lasso.cv_rmsle" in result.output
