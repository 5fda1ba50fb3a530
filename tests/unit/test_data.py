from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from houseprices.config import RAW_FILES, Paths
from houseprices.data import fetch, read_checksums, sha256, validate_raw
from houseprices.errors import ChecksumMismatchError, DataNotFoundError, DataValidationError
from tests.conftest import REPO


@pytest.fixture()
def project(tmp_path: Path) -> Paths:
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    shutil.copyfile(REPO / "data" / "raw.sha256", root / "data" / "raw.sha256")
    return Paths.from_root(root)


@pytest.fixture()
def source(tmp_path: Path, data_dir: Path) -> Path:
    folder = tmp_path / "kaggle"
    folder.mkdir()
    for name in RAW_FILES:
        shutil.copyfile(data_dir / name, folder / name)
    return folder


def test_fetch_copies_and_verifies(project: Paths, source: Path) -> None:
    checks = fetch(project, source)
    assert all(c.ok for c in checks)
    for name in RAW_FILES:
        assert sha256(project.raw / name) == sha256(source / name)


def test_fetch_reads_the_environment_variable(project: Paths, source: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOUSE_PRICES_DATA", str(source))
    assert all(c.ok for c in fetch(project))


def test_mismatch_is_reported_and_nothing_is_written(project: Paths, source: Path) -> None:
    with (source / "train.csv").open("a") as fh:
        fh.write("\n")
    with pytest.raises(
        ChecksumMismatchError, match=r"(?s)train.csv: expected 1e18addf.*--accept-new-version"
    ):
        fetch(project, source)
    assert not (project.raw / "train.csv").exists()


def test_accepting_a_new_version_records_its_checksum(project: Paths, source: Path) -> None:
    with (source / "train.csv").open("a") as fh:
        fh.write("\n")
    checks = fetch(project, source, accept_new_version=True)
    assert [c.name for c in checks if not c.ok] == ["train.csv"]
    assert read_checksums(project.checksums)["train.csv"] == sha256(source / "train.csv")
    assert all(c.ok for c in fetch(project, source))


def test_no_source_explains_how_to_get_the_data(project: Paths, monkeypatch) -> None:
    monkeypatch.delenv("HOUSE_PRICES_DATA", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(DataNotFoundError, match=r"kaggle\.json"):
        fetch(project)


def test_incomplete_source_lists_missing_files(project: Paths, source: Path) -> None:
    (source / "test.csv").unlink()
    with pytest.raises(DataNotFoundError, match=r"lacks \['test.csv'\]"):
        fetch(project, source)


def test_validate_raw_writes_tables_only_when_valid(project: Paths, source: Path) -> None:
    fetch(project, source)
    summaries = validate_raw(project)
    assert [s.rows for s in summaries] == [1460, 1459]
    assert (project.interim / "train.parquet").exists()
    shutil.rmtree(project.interim)
    text = (project.raw / "train.csv").read_text().splitlines()
    text[3] = text[3].replace(text[3].split(",")[0], text[2].split(",")[0], 1)  # duplicate an Id
    (project.raw / "train.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(DataValidationError, match="Id"):
        validate_raw(project)
    assert not project.interim.exists()
