"""app: the HTTP contract through FastAPI's TestClient (no server, no data files)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from houseprices import schema
from houseprices.model import ConformalInterval, HousePriceModel
from houseprices.serve.app import create_app
from houseprices.serve.predictor import ModelRegistry, PredictionLog, Predictor
from houseprices.serve.settings import ServeSettings
from tests.unit.serve.serve_helpers import csv_line, full_row, house

CSV_BODY = (csv_line(list(schema.COLUMNS)) + "\n" + csv_line(full_row()) + "\n").encode()


@pytest.fixture
def client(registry: ModelRegistry) -> Iterator[TestClient]:
    settings = ServeSettings(max_body_bytes=4096, max_rows=50)
    with TestClient(create_app(settings, registry)) as c:
        yield c


def post(client: TestClient, body: bytes, content_type: str = "text/csv", **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/invocations", content=body, headers={"content-type": content_type, **headers}
    )


def test_ping(client: TestClient) -> None:
    r = client.get("/ping")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_ping_503_when_the_canned_prediction_fails() -> None:
    class Broken:
        def predict(self, X: object) -> object:
            raise RuntimeError("corrupt")

    registry = ModelRegistry(
        [Predictor("champion", HousePriceModel(Broken(), ConformalInterval((0.1,))))], "champion"
    )
    with TestClient(create_app(ServeSettings(ping_max_age=0), registry)) as c:
        r = c.get("/ping")
        assert r.status_code == 503 and r.json()["error"] == "model_unavailable"
        r = post(c, CSV_BODY)
        assert r.status_code == 503  # a model fault, not the client's


def test_csv_in_csv_out(client: TestClient) -> None:
    r = post(client, CSV_BODY)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-model-variant"] == "champion"
    header, row = r.text.splitlines()
    assert header == "Id,SalePrice,lower,upper"
    values = [float(x) for x in row.split(",")]
    assert values[0] == 7 and values[2] < values[1] < values[3]
    assert values[1] == pytest.approx(170000.0, rel=1e-4)


def test_json_in_json_out_and_accept(client: TestClient) -> None:
    r = post(client, orjson.dumps([house(), house(GrLivArea=1000)]), "application/json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    prices = [p["SalePrice"] for p in r.json()["predictions"]]
    assert prices == pytest.approx([170000.0, 100000.0], rel=1e-4)
    r = post(client, CSV_BODY, accept="application/json")
    assert r.json()["predictions"][0]["Id"] == 7


def test_variant_header(client: TestClient) -> None:
    r = post(client, CSV_BODY, **{"X-Model-Variant": "challenger"})
    assert r.headers["x-model-variant"] == "challenger"
    assert float(r.text.splitlines()[1].split(",")[1]) == pytest.approx(340000.0, rel=1e-4)
    r = post(client, CSV_BODY, **{"X-Model-Variant": "nope"})
    assert r.status_code == 400 and r.json()["field"] == "X-Model-Variant"


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "status", "field"),
    [
        (b"", "text/csv", {}, 400, None),
        (b"x", "text/plain", {}, 415, "Content-Type"),
        (CSV_BODY, "text/csv", {"accept": "image/png"}, 406, "Accept"),
        (b"a" * 5000, "text/csv", {}, 413, "Content-Length"),
        (b"GrLivArea,GrLivArea\n1,2\n", "text/csv", {}, 400, "GrLivArea"),
        (orjson.dumps([house(LotArea="big")]), "application/json", {}, 400, "LotArea"),
        (orjson.dumps([house(Street="Gold")]), "application/json", {}, 400, "Street"),
        (orjson.dumps([house(Pool=1)]), "application/json", {}, 400, "Pool"),
        (b'[{"GrLivArea": Infinity}]', "application/json", {}, 400, None),
    ],
)
def test_bad_requests_are_4xx_json(
    client: TestClient,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    status: int,
    field: str | None,
) -> None:
    r = post(client, body, content_type, **headers)
    assert r.status_code == status, r.text
    doc = r.json()
    assert doc["field"] == field and doc["message"]


def test_too_many_rows(client: TestClient) -> None:
    body = orjson.dumps([{"GrLivArea": 1}] * 60)
    assert post(
        client, body[:4000] if len(body) > 4096 else body, "application/json"
    ).status_code in (400, 413)


def test_metrics(client: TestClient) -> None:
    post(client, CSV_BODY)
    post(client, b"", "text/csv")
    text = client.get("/metrics").text
    assert 'houseprices_requests_total{method="POST",route="/invocations",status="200"}' in text
    assert 'houseprices_rows_predicted_total{variant="champion"}' in text
    assert 'houseprices_model_calls_total{variant="champion"}' in text
    assert 'houseprices_errors_total{kind="malformed_body",route="/invocations"}' in text
    assert "houseprices_request_seconds_bucket" in text


def test_openapi_describes_the_contract(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    body = doc["paths"]["/invocations"]["post"]["requestBody"]["content"]
    assert set(body) == {"text/csv", "application/json"}
    record = doc["components"]["schemas"]["HouseRecord"]
    assert set(record["required"]) >= {"GrLivArea", "Neighborhood"}
    assert record["properties"]["Street"]["anyOf"][0]["enum"] == ["Grvl", "Pave"]
    assert "/ping" in doc["paths"] and "/metrics" in doc["paths"]


def test_models_route(client: TestClient) -> None:
    assert client.get("/models").json()["default"] == "champion"


def test_prediction_log_receives_every_answer(registry: ModelRegistry, tmp_path: Path) -> None:
    seen = []
    plog = PredictionLog([seen.append])
    with TestClient(create_app(ServeSettings(), registry, plog)) as c:
        post(c, CSV_BODY, **{"X-Request-Id": "abc"})
        post(c, b"", "text/csv")
    assert [e.request_id for e in seen] == ["abc"]
    assert seen[0].prediction.price.shape == (1,)


def test_loads_the_model_from_settings(model_file: Path) -> None:
    log_path = tmp = model_file.parent / "pred.jsonl"
    settings = ServeSettings(model_path=model_file, prediction_log=tmp)
    with TestClient(create_app(settings)) as c:
        assert c.get("/ping").status_code == 200
        assert post(c, CSV_BODY).status_code == 200
    assert len(log_path.read_text().splitlines()) == 1


def test_startup_freezes_the_loaded_model_out_of_the_gc(registry: ModelRegistry) -> None:
    """The model's objects are moved to the GC's permanent generation at startup: full
    collections no longer walk them (they took ~70 ms with the champion loaded)."""
    import gc

    gc.unfreeze()
    try:
        with TestClient(create_app(ServeSettings(), registry)) as c:
            assert c.get("/ping").status_code == 200
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
