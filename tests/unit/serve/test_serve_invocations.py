"""invocations: POST /invocations answered by the pure ASGI fast path exactly as the FastAPI
route answers it; size limits, disconnects and handler bugs at the ASGI level."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from houseprices import schema
from houseprices.serve import app as app_module
from houseprices.serve import codecs
from houseprices.serve.app import create_app
from houseprices.serve.errors import PayloadTooLarge
from houseprices.serve.invocations import Invocations, Reply, too_large
from houseprices.serve.predictor import ModelRegistry
from houseprices.serve.settings import ServeSettings
from tests.unit.serve.serve_helpers import csv_line, full_row, house

LIMIT = 4096
CSV_BODY = (csv_line(list(schema.COLUMNS)) + "\n" + csv_line(full_row()) + "\n").encode()
JSON_BODY = orjson.dumps([house(), house(GrLivArea=1000, Id=3)])

Message = dict[str, Any]


def settings() -> ServeSettings:
    return ServeSettings(max_body_bytes=LIMIT, max_rows=50)


def without_fast_path(app: Any) -> FastAPI:
    """The FastAPI app that `create_app` wraps, on its own: its route answers POST
    /invocations."""
    api = app.api
    assert isinstance(api, FastAPI)
    return api


@pytest.fixture
def client(registry: ModelRegistry) -> Iterator[TestClient]:
    with TestClient(create_app(settings(), registry)) as c:
        yield c


@pytest.fixture
def route_client(registry: ModelRegistry) -> Iterator[TestClient]:
    with TestClient(without_fast_path(create_app(settings(), registry))) as c:
        yield c


@pytest.fixture
def route_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bodies read by the FastAPI route (the fast path never reads through it)."""
    calls: list[int] = []
    read_body = app_module.read_body

    async def counting(request: Any, limit: int) -> bytes:
        body = await read_body(request, limit)
        calls.append(len(body))
        return body

    monkeypatch.setattr(app_module, "read_body", counting)
    return calls


def scope(method: str = "POST", path: str = "/invocations", **headers: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


def call_asgi(
    app: Any, request_scope: dict[str, Any], messages: list[Message]
) -> tuple[list[Message], int]:
    """Run one request through `app`: returns what it sent and how many messages it read."""
    sent: list[Message] = []
    received = 0

    async def receive() -> Message:
        nonlocal received
        received += 1
        if received > len(messages):
            raise AssertionError("the app read past the last message")
        return messages[received - 1]

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(request_scope, receive, send))
    return sent, received


def response_of(sent: list[Message]) -> tuple[int, dict[str, str], bytes]:
    start, body = sent
    assert start["type"] == "http.response.start" and body["type"] == "http.response.body"
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    assert int(headers["content-length"]) == len(body["body"])
    return start["status"], headers, body["body"]


def chunked(body: bytes, size: int) -> list[Message]:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return [
        {"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
        for i, p in enumerate(parts)
    ]


# ---------------------------------------------------------------- size limits


def test_declared_content_length_over_the_limit_is_refused_unread(registry) -> None:
    app = create_app(settings(), registry)
    request = scope(**{"content-type": "text/csv", "content-length": str(LIMIT + 1)})
    sent, received = call_asgi(app, request, [{"type": "http.request", "body": b"x"}])
    status, headers, body = response_of(sent)
    assert received == 0  # answered before reading the body
    assert status == 413 and headers["content-type"] == "application/json"
    doc = orjson.loads(body)
    assert doc["error"] == "payload_too_large" and doc["field"] == "Content-Length"
    assert doc["details"][0]["value"] == str(LIMIT + 1)


def test_content_length_over_the_limit_through_http(client: TestClient) -> None:
    r = client.post(
        "/invocations", content=b"a" * (LIMIT + 1), headers={"content-type": "text/csv"}
    )
    assert r.status_code == 413 and r.headers["content-type"] == "application/json"
    assert r.json()["field"] == "Content-Length"


def test_a_streamed_body_over_the_limit_is_refused(registry) -> None:
    app = create_app(settings(), registry)
    messages = chunked(b"x" * (3 * LIMIT), 1000)
    sent, received = call_asgi(app, scope(**{"content-type": "text/csv"}), messages)
    status, _, body = response_of(sent)
    assert status == 413
    assert orjson.loads(body)["error"] == "payload_too_large"
    assert received == LIMIT // 1000 + 1  # stopped reading at the first chunk over the limit


def test_a_streamed_body_within_the_limit_is_joined(registry) -> None:
    app = create_app(settings(), registry)
    headers = {"content-type": "text/csv", "x-request-id": "r1"}
    whole, _ = call_asgi(app, scope(**headers), chunked(CSV_BODY, len(CSV_BODY) + 1))
    pieces, received = call_asgi(app, scope(**headers), chunked(CSV_BODY, 7))
    assert received > 10
    assert response_of(pieces)[0] == 200
    assert response_of(pieces)[2] == response_of(whole)[2]


def test_a_disconnect_while_reading_sends_nothing(registry) -> None:
    app = create_app(settings(), registry)
    messages = [
        {"type": "http.request", "body": CSV_BODY[:10], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent, received = call_asgi(app, scope(**{"content-type": "text/csv"}), messages)
    assert received == 2
    assert sent == []


def test_too_large() -> None:
    assert too_large(None, LIMIT) is None
    assert too_large(str(LIMIT), LIMIT) is None
    assert too_large("abc", LIMIT) is None
    assert too_large("-5", LIMIT) is None
    refused = too_large(str(LIMIT + 1), LIMIT)
    assert isinstance(refused, PayloadTooLarge) and refused.status == 413
    assert refused.field == "Content-Length"


def test_too_large_ignores_a_content_length_that_is_not_a_number() -> None:
    """str.isdigit() is true for superscript digits ('²' is latin-1 0xB2) that int() refuses:
    they once raised ValueError outside the fast path's try (a 500)."""
    for declared in ("\xb2", "1\xb2", "\xb9\xb2\xb3", "\u0661\u0662"):
        assert too_large(declared, LIMIT) is None


def test_a_content_length_that_is_not_a_number_is_no_500(registry) -> None:
    app = create_app(settings(), registry)
    request = scope(**{"content-type": "text/csv", "content-length": "\xb2"})
    sent, _ = call_asgi(app, request, chunked(CSV_BODY, len(CSV_BODY)))
    assert response_of(sent)[0] == 200


# ---------------------------------------------------------------- fast path == route


REQUESTS: list[tuple[str, bytes, dict[str, str]]] = [
    ("csv", CSV_BODY, {"content-type": "text/csv"}),
    ("csv charset", CSV_BODY, {"content-type": "text/csv; charset=utf-8"}),
    ("json", JSON_BODY, {"content-type": "application/json"}),
    ("json to csv", JSON_BODY, {"content-type": "application/json", "accept": "text/csv"}),
    ("csv to json", CSV_BODY, {"content-type": "text/csv", "accept": "application/json"}),
    ("any", CSV_BODY, {"content-type": "text/csv", "accept": "*/*"}),
    ("challenger", CSV_BODY, {"content-type": "text/csv", "x-model-variant": "challenger"}),
    (
        "split",
        orjson.dumps({"columns": ["GrLivArea", *schema.FEATURES[:3]], "data": []}),
        {"content-type": "application/json"},
    ),
    ("unknown variant", CSV_BODY, {"content-type": "text/csv", "x-model-variant": "nope"}),
    ("media type", b"x", {"content-type": "text/plain"}),
    ("no media type", CSV_BODY, {}),
    ("accept", CSV_BODY, {"content-type": "text/csv", "accept": "image/png"}),
    ("empty", b"", {"content-type": "text/csv"}),
    ("bad csv", b'a,"b\n', {"content-type": "text/csv"}),
    ("bad json", b"[{", {"content-type": "application/json"}),
    ("bad value", orjson.dumps([house(LotArea="big")]), {"content-type": "application/json"}),
    ("bad level", orjson.dumps([house(Street="Gold")]), {"content-type": "application/json"}),
    ("list value", orjson.dumps([house(Street=["Pave"])]), {"content-type": "application/json"}),
    ("many rows", orjson.dumps([{"GrLivArea": 1}] * 60), {"content-type": "application/json"}),
    ("too large", b"a" * (LIMIT + 1), {"content-type": "text/csv"}),
]


@pytest.mark.parametrize(
    ("body", "headers"), [(b, h) for _, b, h in REQUESTS], ids=[n for n, _, _ in REQUESTS]
)
def test_fast_path_and_route_answer_alike(
    client: TestClient,
    route_client: TestClient,
    route_calls: list[int],
    body: bytes,
    headers: dict[str, str],
) -> None:
    headers = {**headers, "x-request-id": "same-id"}
    fast = client.post("/invocations", content=body, headers=headers)
    assert route_calls == []  # the fast path answered
    slow = route_client.post("/invocations", content=body, headers=headers)
    assert len(route_calls) == (0 if len(body) > LIMIT else 1)  # the route answered
    assert fast.status_code == slow.status_code
    assert fast.content == slow.content
    assert fast.headers["content-type"] == slow.headers["content-type"]
    assert int(fast.headers["content-length"]) == len(fast.content)
    for name in ("x-model-variant", "x-request-id"):
        assert fast.headers.get(name) == slow.headers.get(name)
    if fast.status_code == 200:
        assert fast.headers["x-request-id"] == "same-id"
        assert float(fast.headers["x-model-seconds"]) >= 0
    else:
        assert fast.headers["content-type"] == "application/json"
        assert orjson.loads(fast.content)["message"]


def test_good_and_bad_requests_are_what_the_handler_replies(client: TestClient) -> None:
    endpoint: Invocations = client.app.state.invocations  # type: ignore[attr-defined]
    for _, body, headers in REQUESTS:
        if len(body) > LIMIT:
            continue
        headers = {**headers, "x-request-id": "same-id"}
        reply = asyncio.run(endpoint.handle(headers, body))
        assert isinstance(reply, Reply)
        r = client.post("/invocations", content=body, headers=headers)
        assert r.status_code == reply.status and r.content == reply.body
        assert r.headers["content-type"].split(";")[0] == reply.media_type


def test_csv_replies_say_their_charset(client: TestClient, route_client: TestClient) -> None:
    for c in (client, route_client):
        r = c.post("/invocations", content=CSV_BODY, headers={"content-type": "text/csv"})
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        assert r.text.startswith("Id,SalePrice,lower,upper\n7,")
    r = client.post("/invocations", content=JSON_BODY, headers={"content-type": "application/json"})
    assert r.headers["content-type"] == "application/json"


# ---------------------------------------------------------------- faults and fall-through


def test_an_unexpected_error_is_a_json_500_and_the_next_request_succeeds(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    decode = codecs.decode
    failures = [RuntimeError("bug in the decoder")]

    def failing_once(*args: Any) -> Any:
        if failures:
            raise failures.pop()
        return decode(*args)

    monkeypatch.setattr(codecs, "decode", failing_once)
    headers = {"content-type": "text/csv"}
    r = client.post("/invocations", content=CSV_BODY, headers=headers)
    assert r.status_code == 500 and r.headers["content-type"] == "application/json"
    assert r.json()["error"] == "internal"
    assert "bug in the decoder" not in r.text  # no internals leak to the client
    assert failures == []
    r = client.post("/invocations", content=CSV_BODY, headers=headers)
    assert r.status_code == 200 and r.text.startswith("Id,SalePrice")


def test_a_handler_that_raises_is_a_json_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: Invocations, headers: Any, body: bytes) -> Reply:
        raise RuntimeError("bug")

    monkeypatch.setattr(Invocations, "handle", broken)
    r = client.post("/invocations", content=CSV_BODY, headers={"content-type": "text/csv"})
    assert r.status_code == 500 and r.json()["error"] == "internal"
    monkeypatch.undo()
    r = client.post("/invocations", content=CSV_BODY, headers={"content-type": "text/csv"})
    assert r.status_code == 200


def test_other_methods_and_paths_fall_through_to_fastapi(
    client: TestClient, route_calls: list[int]
) -> None:
    r = client.get("/invocations")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert client.get("/ping").json() == {"status": "ok"}
    assert client.post("/ping").status_code == 405
    assert client.post("/invocationsx", content=CSV_BODY).status_code == 404
    assert route_calls == []


def test_requests_through_the_fast_path_are_counted(client: TestClient) -> None:
    client.post("/invocations", content=b"a" * (LIMIT + 1), headers={"content-type": "text/csv"})
    client.post("/invocations", content=CSV_BODY, headers={"content-type": "text/csv"})
    text = client.get("/metrics").text
    assert 'houseprices_requests_total{method="POST",route="/invocations",status="413"}' in text
    assert 'houseprices_errors_total{kind="payload_too_large",route="/invocations"}' in text
    assert 'houseprices_requests_total{method="POST",route="/invocations",status="200"}' in text
