"""Ingest and validate the Kaggle files.

`fetch` copies the four files from $HOUSE_PRICES_DATA (or downloads them with the official
Kaggle CLI) into data/raw/ and verifies them against data/raw.sha256. `validate` checks both
CSVs against the schema and only then writes the typed tables the rest of the pipeline reads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import typer

from houseprices import schema
from houseprices.config import DATA_ENV, KAGGLE_COMPETITION, RAW_FILES, Paths
from houseprices.errors import ChecksumMismatchError, DataNotFoundError, DataValidationError

log = logging.getLogger(__name__)

HOW_TO_GET_DATA = (
    f"Get the Kaggle files one of two ways:\n"
    f"  1. export {DATA_ENV}=/path/to/folder/with/train.csv (the folder holding train.csv, "
    "test.csv, sample_submission.csv and data_description.txt), or\n"
    "  2. install the Kaggle CLI (pip install kaggle), put your API token in "
    "~/.kaggle/kaggle.json (kaggle.com -> Settings -> API -> Create New Token), accept the "
    f"competition rules at https://www.kaggle.com/c/{KAGGLE_COMPETITION}/rules, then rerun."
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_checksums(path: Path) -> dict[str, str]:
    """Parse a `sha256sum`-format file: '<hex>  <name>' per line."""
    sums: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            sums[name.strip().lstrip("*")] = digest
    return sums


def write_checksums(path: Path, sums: dict[str, str]) -> None:
    path.write_text("".join(f"{sums[name]}  {name}\n" for name in sorted(sums)))


@dataclass(frozen=True)
class FileCheck:
    name: str
    expected: str | None
    actual: str

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def verify(folder: Path, expected: dict[str, str]) -> list[FileCheck]:
    return [FileCheck(name, expected.get(name), sha256(folder / name)) for name in RAW_FILES]


def _kaggle_credentials() -> bool:
    home = Path(os.environ.get("KAGGLE_CONFIG_DIR", Path.home() / ".kaggle"))
    has_env = bool(os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"))
    return has_env or (home / "kaggle.json").exists()


def _download_with_kaggle(dest: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["kaggle", "competitions", "download", "-c", KAGGLE_COMPETITION, "-p", tmp]
        log.info("downloading with: %s", " ".join(cmd))
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DataNotFoundError(
                f"The Kaggle CLI failed ({result.stderr.strip() or result.stdout.strip()}).\n"
                + HOW_TO_GET_DATA
            )
        for archive in Path(tmp).glob("*.zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        for name in RAW_FILES:
            shutil.copyfile(Path(tmp) / name, dest / name)


def locate_source(source: Path | None) -> Path | None:
    """The folder to copy from: explicit argument, else $HOUSE_PRICES_DATA, else None."""
    if source is None and os.environ.get(DATA_ENV):
        source = Path(os.environ[DATA_ENV])
    if source is None:
        return None
    missing = [name for name in RAW_FILES if not (source / name).is_file()]
    if missing:
        raise DataNotFoundError(f"{source} lacks {missing}.\n" + HOW_TO_GET_DATA)
    return source


def fetch(
    paths: Paths, source: Path | None = None, accept_new_version: bool = False
) -> list[FileCheck]:
    """Bring the four files into data/raw/ and verify their sha256 against data/raw.sha256.

    A mismatch raises ChecksumMismatchError unless `accept_new_version`, in which case the new
    checksums are recorded (and `dvc add data/raw` records the new data version).
    """
    src = locate_source(source)
    with tempfile.TemporaryDirectory(dir=paths.root) as tmp:
        staging = Path(tmp)
        if src is not None:
            for name in RAW_FILES:
                shutil.copyfile(src / name, staging / name)
        elif shutil.which("kaggle") and _kaggle_credentials():
            _download_with_kaggle(staging)
        else:
            raise DataNotFoundError(f"No data source: {DATA_ENV} is not set.\n" + HOW_TO_GET_DATA)
        expected = read_checksums(paths.checksums) if paths.checksums.exists() else {}
        checks = verify(staging, expected)
        bad = [c for c in checks if not c.ok]
        if bad and not accept_new_version:
            detail = "\n".join(
                f"  - {c.name}: expected {c.expected or '(none recorded)'}, got {c.actual}"
                for c in bad
            )
            raise ChecksumMismatchError(
                f"The data differs from the version recorded in {paths.checksums.name}:\n{detail}\n"
                "If this is the original Kaggle data, fetch it again. If it is a deliberate new "
                "version, rerun with --accept-new-version (then `dvc add data/raw` and commit)."
            )
        paths.raw.mkdir(parents=True, exist_ok=True)
        for name in RAW_FILES:
            target = paths.raw / name
            if target.exists() and sha256(target) == next(
                c.actual for c in checks if c.name == name
            ):
                continue  # keep the DVC-linked file untouched
            if target.exists() or target.is_symlink():
                target.unlink()
            shutil.copyfile(staging / name, target)
    if bad:
        write_checksums(paths.checksums, {c.name: c.actual for c in checks})
        log.warning("accepted a new data version: %s", ", ".join(c.name for c in bad))
    return checks


@dataclass(frozen=True)
class ValidationSummary:
    name: str
    rows: int
    columns: int
    missing_cells: int
    warnings: list[str]

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


def validate_file(
    path: Path, with_target: bool | None = None
) -> tuple[pd.DataFrame, ValidationSummary]:
    """Validate one CSV; `with_target=None` infers it from the SalePrice column."""
    if not path.is_file():
        raise DataNotFoundError(f"{path} does not exist. Run `houseprices data fetch` first.")
    frame = schema.read_csv(path)
    if with_target is None:
        with_target = schema.TARGET in frame.columns
    valid = schema.validate_frame(frame, with_target, source=str(path))
    summary = ValidationSummary(
        name=path.name,
        rows=len(valid),
        columns=valid.shape[1],
        missing_cells=int(valid.isna().sum().sum()),
        warnings=schema.quality_warnings(valid),
    )
    return valid, summary


def validate_raw(paths: Paths) -> list[ValidationSummary]:
    """Pipeline stage: validate both files; write the typed tables only if both pass."""
    train, train_summary = validate_file(paths.raw / "train.csv", with_target=True)
    test, test_summary = validate_file(paths.raw / "test.csv", with_target=False)
    overlap = set(train[schema.ID]) & set(test[schema.ID])
    if overlap:
        raise DataValidationError(
            f"Ids {sorted(overlap)[:10]} appear in both train.csv and test.csv; Ids must be "
            "unique across the two files."
        )
    paths.interim.mkdir(parents=True, exist_ok=True)
    train.to_parquet(paths.interim / "train.parquet", index=False)
    test.to_parquet(paths.interim / "test.parquet", index=False)
    summaries = [train_summary, test_summary]
    paths.reports.mkdir(parents=True, exist_ok=True)
    (paths.reports / "validation.json").write_text(
        json.dumps([s.as_dict() for s in summaries], indent=2) + "\n"
    )
    return summaries


app = typer.Typer(help="Fetch and validate the Kaggle data.", no_args_is_help=True)


@app.command("fetch")
def fetch_cmd(
    source: Path | None = typer.Option(None, help=f"Folder with the files (default: ${DATA_ENV})."),
    accept_new_version: bool = typer.Option(
        False, "--accept-new-version", help="Record changed files as a new data version."
    ),
) -> None:
    """Copy (or download) the four Kaggle files into data/raw/ and verify their sha256."""
    checks = fetch(Paths.from_root(), source, accept_new_version)
    for c in checks:
        typer.echo(f"{'ok ' if c.ok else 'NEW'} {c.name} sha256={c.actual}")
    if not all(c.ok for c in checks):
        typer.echo("New data version accepted: now run `dvc add data/raw` and commit data/raw.dvc.")


@app.command("validate")
def validate_cmd(
    file: Path = typer.Argument(..., help="A CSV in train.csv or test.csv format."),
) -> None:
    """Check FILE against the schema and print a report (exit 1 if it is broken)."""
    try:
        _, summary = validate_file(file)
    except DataValidationError as exc:
        typer.echo(f"FAILED {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"OK {summary.name}: {summary.rows} rows x {summary.columns} columns, "
        f"{summary.missing_cells} missing cells (allowed)"
    )
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}")


@app.command("validate-all")
def validate_all_cmd() -> None:
    """Pipeline stage: validate data/raw/{train,test}.csv and write data/interim/."""
    for summary in validate_raw(Paths.from_root()):
        typer.echo(f"OK {summary.name}: {summary.rows} rows x {summary.columns} columns")
        for warning in summary.warnings:
            typer.echo(f"warning: {warning}")


if __name__ == "__main__":
    from houseprices.runner import run

    run(app)
