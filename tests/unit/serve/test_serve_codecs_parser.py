"""codecs: large plain CSV bodies go through pandas' C parser and give exactly the batch (and
the errors) of the csv-module reader; anything unusual falls back to that reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from houseprices.serve import codecs
from houseprices.serve.contract import Batch
from houseprices.serve.errors import InvalidInput, MalformedBody, ServeError


@pytest.fixture(scope="module")
def kaggle_body(data_dir: Path) -> bytes:
    return (data_dir / "test.csv").read_bytes()


def reader_only(body: bytes, monkeypatch: pytest.MonkeyPatch) -> Batch | ServeError:
    """What the csv-module path makes of `body` (the parser switched off)."""
    with monkeypatch.context() as m:
        m.setattr(codecs, "PARSER_MIN_BYTES", 10**12)
        try:
            return codecs.decode(body, codecs.CSV, 100_000)
        except ServeError as exc:
            return exc


def assert_same_batch(a: Batch, b: Batch) -> None:
    assert a.n_rows == b.n_rows
    assert a.given == b.given
    assert (a.ids is None) == (b.ids is None)
    if a.ids is not None:
        assert np.array_equal(a.ids, b.ids)
    assert list(a.columns) == list(b.columns)
    for name, left in a.columns.items():
        right = b.columns[name]
        assert left.dtype == right.dtype, name
        if left.dtype.kind == "f":
            assert np.array_equal(left, right, equal_nan=True), name
        else:
            assert left.tolist() == right.tolist(), name


def test_kaggle_test_csv_takes_the_parser(kaggle_body: bytes, monkeypatch) -> None:
    assert len(kaggle_body) >= codecs.PARSER_MIN_BYTES
    parsed = codecs._decode_csv_parsed(kaggle_body, 100_000)
    assert parsed is not None
    assert_same_batch(parsed, codecs.decode(kaggle_body, codecs.CSV, 100_000))
    reference = reader_only(kaggle_body, monkeypatch)
    assert isinstance(reference, Batch)
    assert_same_batch(parsed, reference)


def test_crlf_and_bom_and_column_order(kaggle_body: bytes, monkeypatch) -> None:
    lines = kaggle_body.decode().splitlines()
    names = lines[0].split(",")
    order = list(reversed(range(len(names))))
    shuffled = [",".join(line.split(",")[i] for i in order) for line in lines]
    body = ("\ufeff" + "\r\n".join(shuffled) + "\r\n").encode()
    parsed = codecs._decode_csv_parsed(body, 100_000)
    assert parsed is not None
    reference = reader_only(body, monkeypatch)
    assert isinstance(reference, Batch)
    assert_same_batch(parsed, reference)


def _with_cell(body: bytes, row: int, column: str, value: str) -> bytes:
    lines = body.decode().splitlines()
    names = lines[0].split(",")
    cells = lines[row + 1].split(",")
    cells[names.index(column)] = value
    lines[row + 1] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        (5, "LotArea", "nan"),  # a NaN token is an error, not a missing value
        (7, "LotArea", "-Infinity"),
        (9, "GrLivArea", "12x"),  # the parser refuses it
        (11, "YearBuilt", ""),  # a required value left empty: parsed, refused by the contract
        (13, "GrLivArea", "99999999"),  # out of range
        (15, "MSZoning", "XX"),  # unknown level
        (17, "MSSubClass", "55"),  # not an MSSubClass code
        (19, "Id", "0"),  # Ids are whole numbers >= 1
        (21, "Id", "1.5"),
    ],
)
def test_bad_values_give_the_readers_errors(
    kaggle_body: bytes, monkeypatch, row: int, column: str, value: str
) -> None:
    """The parser declines the body and the reader names the field, row and value as sent."""
    body = _with_cell(kaggle_body, row, column, value)
    assert codecs._decode_csv_parsed(body, 100_000) is None
    with pytest.raises((InvalidInput, MalformedBody)) as caught:
        codecs.decode(body, codecs.CSV, 100_000)
    reference = reader_only(body, monkeypatch)
    assert isinstance(reference, ServeError)
    assert type(caught.value) is type(reference)
    assert caught.value.body() == reference.body()
    assert caught.value.field == column
    assert caught.value.problems[0].row == row


def test_quoted_values_are_left_to_the_reader(kaggle_body: bytes, monkeypatch) -> None:
    body = _with_cell(kaggle_body, 3, "GrLivArea", '"1710"')
    assert codecs._decode_csv_parsed(body, 100_000) is None
    batch = codecs.decode(body, codecs.CSV, 100_000)
    assert batch.columns["GrLivArea"][3] == 1710.0
    reference = reader_only(body, monkeypatch)
    assert isinstance(reference, Batch)
    assert_same_batch(batch, reference)


def test_a_short_or_long_row_falls_back_and_is_named(kaggle_body: bytes, monkeypatch) -> None:
    lines = kaggle_body.decode().splitlines()
    for changed in (lines[4].rsplit(",", 1)[0], lines[4] + ",extra"):
        body = ("\n".join([*lines[:4], changed, *lines[5:]]) + "\n").encode()
        assert codecs._decode_csv_parsed(body, 100_000) is None
        with pytest.raises(MalformedBody) as caught:
            codecs.decode(body, codecs.CSV, 100_000)
        assert "CSV data row 3" in caught.value.message


def test_no_header_falls_back(kaggle_body: bytes, monkeypatch) -> None:
    body = ("\n".join(kaggle_body.decode().splitlines()[1:]) + "\n").encode()
    assert codecs._decode_csv_parsed(body, 100_000) is None
    batch = codecs.decode(body, codecs.CSV, 100_000)
    reference = reader_only(body, monkeypatch)
    assert isinstance(reference, Batch)
    assert_same_batch(batch, reference)


def test_the_row_limit_holds(kaggle_body: bytes) -> None:
    with pytest.raises(ServeError) as caught:
        codecs.decode(kaggle_body, codecs.CSV, 1000)
    assert caught.value.status == 413


def test_blank_lines_are_skipped_like_the_reader(kaggle_body: bytes, monkeypatch) -> None:
    lines = kaggle_body.decode().splitlines()
    body = ("\n".join([lines[0], "", *lines[1:600], "", *lines[600:]]) + "\n\n").encode()
    batch = codecs.decode(body, codecs.CSV, 100_000)
    reference = reader_only(body, monkeypatch)
    assert isinstance(reference, Batch)
    assert_same_batch(batch, reference)
