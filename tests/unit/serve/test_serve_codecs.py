"""codecs: CSV/JSON bodies <-> Batch by column name; responses in CSV or JSON."""

from __future__ import annotations

import random

import numpy as np
import orjson
import pytest

from houseprices import schema
from houseprices.serve import codecs
from houseprices.serve.codecs import CSV, JSON, Prediction
from houseprices.serve.errors import (
    InvalidInput,
    MalformedBody,
    NotAcceptable,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from tests.unit.serve.serve_helpers import csv_line, full_row, house

HEADER = csv_line(list(schema.COLUMNS))


def body(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_kaggle_csv_with_header_and_ids() -> None:
    batch = codecs.decode(
        body(HEADER, csv_line(full_row()), csv_line(full_row(GrLivArea=900))), CSV, 100
    )
    assert batch.n_rows == 2
    assert batch.ids is not None and batch.ids.tolist() == [7, 7]
    assert batch.columns["GrLivArea"].tolist() == [1700.0, 900.0]


def test_csv_columns_are_matched_by_name_in_any_order() -> None:
    names = list(schema.COLUMNS)
    shuffled = names[:]
    random.Random(0).shuffle(shuffled)
    row = dict(zip(names, full_row(), strict=True))
    a = codecs.decode(body(HEADER, csv_line(full_row())), CSV, 10)
    b = codecs.decode(body(csv_line(shuffled), csv_line([row[n] for n in shuffled])), CSV, 10)
    for name in schema.FEATURES:
        np.testing.assert_array_equal(a.columns[name], b.columns[name])


def test_csv_without_header_with_and_without_id() -> None:
    with_id = codecs.decode(body(csv_line(full_row())), CSV, 10)
    without = codecs.decode(body(csv_line(full_row()[1:])), CSV, 10)
    assert with_id.ids is not None and with_id.ids.tolist() == [7]
    assert without.ids is None
    assert with_id.columns["YearBuilt"].tolist() == without.columns["YearBuilt"].tolist()


def test_csv_subset_of_columns_and_bom_and_crlf() -> None:
    text = (
        "\ufeffNeighborhood,OverallQual,GrLivArea,YearBuilt,YrSold\r\nCollgCr,7,1500,1999,2008\r\n"
    )
    batch = codecs.decode(text.encode(), CSV, 10)
    assert batch.columns["OverallQual"].tolist() == [7.0]
    assert batch.given == ("Neighborhood", "OverallQual", "GrLivArea", "YearBuilt", "YrSold")


@pytest.mark.parametrize(
    ("payload", "error", "words"),
    [
        (b"", MalformedBody, "empty"),
        (b"  \n\n", MalformedBody, "empty"),
        (b"\xff\xfe\x00", MalformedBody, "UTF-8"),
        (b"1,2,3\n", MalformedBody, "not a header"),
        (b'GrLivArea,"unclosed\n', MalformedBody, "not valid CSV"),
        (
            body("GrLivArea,Neighborhood,OverallQual,YearBuilt,YrSold", "1,CollgCr"),
            MalformedBody,
            "fields",
        ),
        (body("GrLivArea,GrLivArea"), InvalidInput, "duplicated"),
        (body("GrLivArea,Foo", "1,2"), InvalidInput, "Foo"),
        (body(HEADER), InvalidInput, "no rows"),
    ],
)
def test_bad_csv(payload: bytes, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        codecs.decode(payload, CSV, 10)


def test_duplicated_header_names_the_field() -> None:
    with pytest.raises(InvalidInput) as err:
        codecs.decode(body("GrLivArea,OverallQual,GrLivArea", "1,2,3"), CSV, 10)
    assert err.value.field == "GrLivArea"


def test_row_limit() -> None:
    with pytest.raises(PayloadTooLarge):
        codecs.decode(body(HEADER, *[csv_line(full_row())] * 3), CSV, 2)


def test_json_records_split_instances_and_single() -> None:
    record = house(Id=3)
    as_records = codecs.decode(orjson.dumps([record, record]), JSON, 10)
    names = list(record)
    split = {"columns": names, "data": [[record[n] for n in names]] * 2, "index": [0, 1]}
    as_split = codecs.decode(orjson.dumps(split), JSON, 10)
    as_instances = codecs.decode(orjson.dumps({"instances": [record, record]}), JSON, 10)
    single = codecs.decode(orjson.dumps(record), JSON, 10)
    for batch in (as_records, as_split, as_instances):
        assert batch.n_rows == 2
        assert batch.ids is not None and batch.ids.tolist() == [3, 3]
        np.testing.assert_array_equal(batch.columns["LotArea"], as_records.columns["LotArea"])
    assert single.n_rows == 1


def test_json_records_may_omit_optional_keys() -> None:
    a = house()
    b = {k: a[k] for k in ("Neighborhood", "OverallQual", "GrLivArea", "YearBuilt", "YrSold")}
    batch = codecs.decode(orjson.dumps([a, b]), JSON, 10)
    assert batch.columns["LotArea"][0] == 9000.0
    assert np.isnan(batch.columns["LotArea"][1])


@pytest.mark.parametrize(
    ("payload", "error", "field"),
    [
        (b"{not json", MalformedBody, None),
        (b'[{"LotArea": NaN}]', MalformedBody, None),
        (b"42", MalformedBody, None),
        (b"[1, 2]", MalformedBody, None),
        (b'{"columns": "x", "data": []}', MalformedBody, "columns"),
        (b'{"columns": ["GrLivArea"], "data": [[1, 2]]}', MalformedBody, "data"),
        (b'{"columns": ["GrLivArea", "GrLivArea"], "data": []}', InvalidInput, "GrLivArea"),
        (b'{"instances": 5}', MalformedBody, "instances"),
        (orjson.dumps([house(LotArea="12a")]), InvalidInput, "LotArea"),
        (orjson.dumps([house(Bogus=1)]), InvalidInput, "Bogus"),
        (orjson.dumps([house(Neighborhood="Atlantis")]), InvalidInput, "Neighborhood"),
    ],
)
def test_bad_json(payload: bytes, error: type[Exception], field: str | None) -> None:
    with pytest.raises(error) as err:
        codecs.decode(payload, JSON, 10)
    assert getattr(err.value, "field", None) == field


@pytest.mark.parametrize(
    ("header", "expected"),
    [("text/csv", CSV), ("text/csv; charset=utf-8", CSV), ("Application/JSON", JSON)],
)
def test_media_type(header: str, expected: str) -> None:
    assert codecs.media_type(header) == expected


@pytest.mark.parametrize("header", [None, "", "text/plain", "application/x-www-form-urlencoded"])
def test_unsupported_media_type(header: str | None) -> None:
    with pytest.raises(UnsupportedMediaType):
        codecs.media_type(header)


@pytest.mark.parametrize(
    ("accept", "request_type", "expected"),
    [
        (None, CSV, CSV),
        ("*/*", JSON, JSON),
        ("application/json", CSV, JSON),
        ("text/html, text/csv;q=0.9", JSON, CSV),
        ("text/*", JSON, CSV),
    ],
)
def test_negotiate(accept: str | None, request_type: str, expected: str) -> None:
    assert codecs.negotiate(accept, request_type) == expected


def test_not_acceptable() -> None:
    with pytest.raises(NotAcceptable):
        codecs.negotiate("image/png", CSV)


def prediction() -> Prediction:
    return Prediction(
        price=np.array([100000.5, 200000.25]),
        lower=np.array([90000.0, 180000.0]),
        upper=np.array([110000.0, 220000.0]),
        coverage=0.9,
        variant="champion",
    )


def test_encode_csv_round_trips_exactly() -> None:
    text = codecs.encode(prediction(), np.array([1461, 1462]), CSV).decode()
    lines = text.splitlines()
    assert lines[0] == "Id,SalePrice,lower,upper"
    assert [float(x) for x in lines[1].split(",")[1:]] == [100000.5, 90000.0, 110000.0]
    assert codecs.encode(prediction(), None, CSV).decode().startswith("SalePrice,lower,upper\n")


def test_encode_json() -> None:
    doc = orjson.loads(codecs.encode(prediction(), np.array([1, 2]), JSON))
    assert doc["coverage"] == 0.9 and doc["variant"] == "champion"
    assert doc["predictions"][1] == {
        "Id": 2,
        "SalePrice": 200000.25,
        "lower": 180000.0,
        "upper": 220000.0,
    }
    assert "Id" not in orjson.loads(codecs.encode(prediction(), None, JSON))["predictions"][0]
