"""Request bodies -> `Batch`, and predictions -> response bodies. Columns are matched by name.

Accepted requests:
- `text/csv`: Kaggle's test.csv as is (header, Id column optional), or rows without a header in
  the Kaggle column order with (80 fields) or without (79 fields) the leading Id.
- `application/json`: records `[{"GrLivArea": 1710, ...}, ...]` (also `{"instances": [...]}` or
  one bare record), or split orientation `{"columns": [...], "data": [[...], ...]}`.
Responses: `text/csv` (`Id,SalePrice,lower,upper`) or `application/json`, chosen by `Accept`
(default: the request's own type).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd

from houseprices import schema
from houseprices.serve.contract import KNOWN, NUMERIC, Batch, build_batch, check_names
from houseprices.serve.errors import (
    InvalidInput,
    MalformedBody,
    NotAcceptable,
    PayloadTooLarge,
    Problem,
    UnsupportedMediaType,
)

CSV = "text/csv"
JSON = "application/json"
MEDIA_TYPES = (CSV, JSON)


@dataclass(frozen=True)
class Prediction:
    """Model output for a batch: price and the bounds of its `coverage` interval (dollars)."""

    price: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    coverage: float
    variant: str


def media_type(header: str | None) -> str:
    """`text/csv; charset=utf-8` -> `text/csv`; anything but CSV/JSON -> 415."""
    value = (header or "").split(";", 1)[0].strip().lower()
    if value in MEDIA_TYPES:
        return value
    raise UnsupportedMediaType(
        f"Content-Type {header!r} is not supported: send {CSV} or {JSON}.",
        [Problem("Content-Type", "unsupported media type", value=header or "")],
    )


def negotiate(accept: str | None, request_type: str) -> str:
    """The response type for an Accept header (absent or */* -> the request's own type)."""
    if not accept:
        return request_type
    options = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    wildcards = {"*/*": request_type, "*": request_type, "text/*": CSV, "application/*": JSON}
    for option in options:
        if option in MEDIA_TYPES:
            return option
        if option in wildcards:
            return wildcards[option]
    raise NotAcceptable(
        f"Accept {accept!r} cannot be served: ask for {CSV} or {JSON}.",
        [Problem("Accept", "no acceptable media type", value=accept)],
    )


def check_size(n_rows: int, max_rows: int) -> None:
    if n_rows > max_rows:
        raise PayloadTooLarge(
            f"{n_rows} rows exceed the limit of {max_rows} per request: split the request."
        )


# ---------------------------------------------------------------- CSV


def _text(body: bytes) -> str:
    if not body.strip():
        raise MalformedBody("The request body is empty: send CSV rows or JSON records.")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedBody(
            f"The body is not UTF-8 text ({exc.reason} at byte {exc.start})."
        ) from None


#: CSV bodies from this size on are parsed by pandas' C parser when they are plain (see below)
PARSER_MIN_BYTES = 32 * 1024
_NON_FINITE_TOKEN = re.compile(rb"[,\n][ \t]*[+-]?(?:nan|inf)", re.IGNORECASE)


def _decode_csv_parsed(body: bytes, max_rows: int) -> Batch | None:
    """A large, plain CSV body with a header through pandas' C parser (numeric columns
    straight to float64, ~5x faster than the csv module plus per-column conversion); the
    values are then checked like any other batch. None when the body is not plain (quotes,
    a NaN/inf token, a row with a wrong number of fields, a value the parser refuses, no
    header) or breaks the contract: `decode_csv`'s own reader then parses it and names
    what is wrong, quoting the values as sent."""
    if b'"' in body:
        return None
    lower = body.lower()
    if (b"nan" in lower or b"inf" in lower) and _NON_FINITE_TOKEN.search(b"\n" + body):
        return None
    text = body.decode("utf-8-sig")
    first, _, _ = text.partition("\n")
    names = first.rstrip("\r").split(",")
    if not any(name in KNOWN for name in names):
        return None
    check_names(names)
    lines = sum(1 for line in text.splitlines() if line.strip())
    if text.count(",") != (len(names) - 1) * lines:
        return None
    check_size(lines - 1, max_rows)
    numeric = [n for n in names if n in NUMERIC or n == schema.ID]
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=dict.fromkeys(numeric, "float64")
            | dict.fromkeys(set(names) - set(numeric), object),
            keep_default_na=False,
            na_values={name: ["", "NA"] for name in numeric},
        )
    except (ValueError, pd.errors.ParserError):
        return None
    if len(frame) != lines - 1:
        return None
    columns: dict[str, Any] = {n: frame[n].to_numpy() for n in names}
    try:
        return build_batch(columns, len(frame))
    except InvalidInput:  # the reader reports it, with the values as the client wrote them
        return None


def _rows(text: str) -> list[list[str]]:
    """The non-empty CSV rows of `text`. Without quotes and bare carriage returns, fields are
    what lies between commas: a plain split, several times faster than the csv module on
    the one- or two-line bodies of single-row requests."""
    if '"' not in text:
        plain = text.replace("\r\n", "\n")
        if "\r" not in plain:
            return [line.split(",") for line in plain.split("\n") if line]
    try:
        return [row for row in csv.reader(io.StringIO(text), strict=True) if row]
    except csv.Error as exc:
        raise MalformedBody(f"The body is not valid CSV: {exc}.") from None


def decode_csv(body: bytes, max_rows: int) -> Batch:
    if len(body) >= PARSER_MIN_BYTES:
        parsed = _decode_csv_parsed(body, max_rows)
        if parsed is not None:
            return parsed
    rows = _rows(_text(body))
    if not rows:
        raise MalformedBody("The CSV body has no rows.")
    first = rows[0]
    if any(cell in KNOWN for cell in first):
        names, data = first, rows[1:]
        check_names(names)
    elif len(first) == len(schema.FEATURES):
        names, data = list(schema.FEATURES), rows
    elif len(first) == len(schema.COLUMNS):
        names, data = list(schema.COLUMNS), rows
    else:
        raise MalformedBody(
            f"The first CSV line has {len(first)} fields and is not a header: rows without a "
            f"header need {len(schema.FEATURES)} fields (the features in Kaggle order) or "
            f"{len(schema.COLUMNS)} (Id first). Otherwise send a header line.",
            [Problem(None, "no header and wrong field count", 0, ",".join(first))],
        )
    check_size(len(data), max_rows)
    width = len(names)
    for i, row in enumerate(data):
        if len(row) != width:
            raise MalformedBody(
                f"CSV data row {i} has {len(row)} fields but the header has {width}: every "
                "row needs one field per column (leave unknown values empty).",
                [Problem(None, "wrong number of fields", i, ",".join(row))],
            )
    columns = dict(zip(names, zip(*data, strict=True), strict=True)) if data else {}
    return build_batch({n: columns.get(n, ()) for n in names}, len(data))


# ---------------------------------------------------------------- JSON


def _records(records: Sequence[Any], max_rows: int) -> Batch:
    check_size(len(records), max_rows)
    names: dict[str, None] = {}
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise MalformedBody(
                f"JSON record {i} is a {type(record).__name__}, not an object: send "
                '[{"GrLivArea": 1710, ...}, ...].',
                [Problem(None, "record is not an object", i)],
            )
        names.update(dict.fromkeys(record))
    columns = {n: [r.get(n) for r in records] for n in names}
    return build_batch(columns, len(records))


def _split(doc: dict[str, Any], max_rows: int) -> Batch:
    names, data = doc.get("columns"), doc.get("data")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise MalformedBody(
            'Split JSON needs "columns": a list of column names.', [Problem("columns", "invalid")]
        )
    if not isinstance(data, list):
        raise MalformedBody(
            'Split JSON needs "data": a list of rows.', [Problem("data", "invalid")]
        )
    check_names(names)
    check_size(len(data), max_rows)
    for i, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(names):
            raise MalformedBody(
                f'Split JSON row {i} must be a list of {len(names)} values (one per "columns").',
                [Problem("data", "wrong row length", i)],
            )
    columns = dict(zip(names, zip(*data, strict=True), strict=True)) if data else {}
    return build_batch({n: columns.get(n, ()) for n in names}, len(data))


def decode_json(body: bytes, max_rows: int) -> Batch:
    if not body.strip():
        raise MalformedBody("The request body is empty: send CSV rows or JSON records.")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"The body is not valid JSON: {exc}.") from None
    if isinstance(doc, list):
        return _records(doc, max_rows)
    if isinstance(doc, dict):
        if "columns" in doc or "data" in doc:
            return _split(doc, max_rows)
        if "instances" in doc:
            if not isinstance(doc["instances"], list):
                raise MalformedBody(
                    '"instances" must be a list of records.', [Problem("instances", "invalid")]
                )
            return _records(doc["instances"], max_rows)
        return _records([doc], max_rows)
    raise MalformedBody(
        f"The JSON body is a {type(doc).__name__}: send a list of records or a split object."
    )


def decode(body: bytes, content_type: str, max_rows: int) -> Batch:
    """Parse and validate a request body of `content_type` (already normalised)."""
    return decode_csv(body, max_rows) if content_type == CSV else decode_json(body, max_rows)


# ---------------------------------------------------------------- responses


def encode(prediction: Prediction, ids: np.ndarray | None, accept: str) -> bytes:
    """Predictions as CSV (`Id,SalePrice,lower,upper`) or JSON (records + model info)."""
    price, lower, upper = (
        a.tolist() for a in (prediction.price, prediction.lower, prediction.upper)
    )
    if accept == CSV:
        if ids is None:
            lines = [f"{p!r},{lo!r},{up!r}" for p, lo, up in zip(price, lower, upper, strict=True)]
            header = "SalePrice,lower,upper"
        else:
            lines = [
                f"{i},{p!r},{lo!r},{up!r}"
                for i, p, lo, up in zip(ids.tolist(), price, lower, upper, strict=True)
            ]
            header = "Id,SalePrice,lower,upper"
        return (header + "\n" + "\n".join(lines) + "\n").encode()
    if ids is None:
        rows = [
            {"SalePrice": p, "lower": lo, "upper": up}
            for p, lo, up in zip(price, lower, upper, strict=True)
        ]
    else:
        rows = [
            {"Id": i, "SalePrice": p, "lower": lo, "upper": up}
            for i, p, lo, up in zip(ids.tolist(), price, lower, upper, strict=True)
        ]
    return orjson.dumps(
        {"predictions": rows, "coverage": prediction.coverage, "variant": prediction.variant}
    )
