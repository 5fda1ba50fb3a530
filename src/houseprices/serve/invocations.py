"""POST /invocations without a web framework: headers and body in, status and bytes out.

`Invocations.handle` is the whole request: negotiate, decode, predict (micro-batched), encode,
log the prediction off the critical path. Two doors lead to it:

- `ServingApp`, the ASGI app the server runs, answers POST /invocations itself and passes
  everything else to the FastAPI app. A single-row request is a few hundred microseconds of
  work; FastAPI's middleware stack (error handling, body limit, telemetry hooks), routing,
  request object and dependency solving would cost about as much again.
- The FastAPI route of the same path (what the OpenAPI document describes) calls the same
  handler, for the FastAPI app used on its own.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool

from houseprices.serve import codecs, metrics
from houseprices.serve.batching import MicroBatcher
from houseprices.serve.errors import ModelUnavailable, PayloadTooLarge, Problem, ServeError
from houseprices.serve.predictor import ModelRegistry, PredictionEvent, PredictionLog
from houseprices.serve.settings import ServeSettings

log = logging.getLogger(__name__)

PATH = "/invocations"
#: Bodies larger than this are decoded and predicted in a worker thread, not on the event loop.
INLINE_BODY_BYTES = 32 * 1024
VARIANT_HEADER = "X-Model-Variant"
JSON = "application/json"


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, body, media type and extra headers."""

    status: int
    body: bytes
    media_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()


def error_reply(exc: ServeError, route: str = PATH) -> Reply:
    """The JSON error body of `exc` with its status (counted in houseprices_errors_total)."""
    metrics.ERRORS.labels(route, exc.kind).inc()
    return Reply(exc.status, orjson.dumps(exc.body()))


def too_large(declared: str | None, limit: int) -> PayloadTooLarge | None:
    """413 for a Content-Length over `limit` (checked before reading the body)."""
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        return PayloadTooLarge(
            f"The body has {declared} bytes; the limit is {limit}: split the request.",
            [Problem("Content-Length", "too large", value=declared)],
        )
    return None


async def receive_body(receive: Receive, declared: str | None, limit: int) -> bytes | None:
    """The request body from ASGI `receive`, or None if the client went away. PayloadTooLarge
    for a declared Content-Length over `limit` (before reading) or a body that grows past it."""
    refused = too_large(declared, limit)
    if refused is not None:
        raise refused
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"The body exceeds the limit of {limit} bytes: split the request."
            )
        chunks.append(chunk)
        more = message.get("more_body", False)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class Invocations:
    """The prediction endpoint over the app's registry, batchers and prediction log."""

    def __init__(self, settings: ServeSettings, state: Any) -> None:
        self.settings = settings
        self.state = state  # app.state: `registry` is set at startup, read per request
        self._batchers: dict[str, MicroBatcher] = {}

    def _batcher(self, predictor: Any) -> MicroBatcher:
        batcher = self._batchers.get(predictor.name)
        if batcher is None or batcher.predictor is not predictor:
            s = self.settings
            batcher = MicroBatcher(
                predictor,
                s.micro_batch_max_rows,
                s.inline_rows,
                s.micro_batch_wait_ms / 1000,
                s.micro_batch_gather,
            )
            self._batchers[predictor.name] = batcher
        return batcher

    async def handle(self, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one request (`headers` with lower-case names). Never raises."""
        try:
            return await self._predict(headers, body)
        except ServeError as exc:
            return error_reply(exc)

    async def _predict(self, headers: Mapping[str, str], body: bytes) -> Reply:
        started = time.perf_counter()
        settings = self.settings
        content_type = codecs.media_type(headers.get("content-type"))
        accept = codecs.negotiate(headers.get("accept"), content_type)
        registry: ModelRegistry | None = self.state.registry
        if registry is None:
            raise ModelUnavailable("The model is not loaded yet.")
        predictor = registry.get(headers.get("x-model-variant"))
        big = len(body) > INLINE_BODY_BYTES
        if big:
            batch = await run_in_threadpool(codecs.decode, body, content_type, settings.max_rows)
        else:
            batch = codecs.decode(body, content_type, settings.max_rows)
        predict_started = time.perf_counter()
        try:
            if settings.micro_batch_max_rows > 0:
                prediction = await self._batcher(predictor).predict(batch)
            else:
                metrics.MODEL_CALLS.labels(predictor.name).inc()
                if big:
                    prediction = await run_in_threadpool(predictor.predict, batch)
                else:
                    prediction = predictor.predict(batch)
        except Exception as exc:  # a model fault: the input was validated
            log.exception("variant %s failed on %d rows", predictor.name, batch.n_rows)
            raise ModelUnavailable(
                f"The model failed on a valid request ({type(exc).__name__}); see the logs."
            ) from exc
        model_s = time.perf_counter() - predict_started
        payload = codecs.encode(prediction, batch.ids, accept)
        metrics.ROWS.labels(predictor.name).inc(batch.n_rows)
        metrics.PREDICT_SECONDS.labels(predictor.name).observe(model_s)
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        plog: PredictionLog = self.state.prediction_log
        if plog.enabled:
            plog.submit(
                PredictionEvent(
                    request_id=request_id,
                    timestamp=time.time(),
                    variant=predictor.name,
                    batch=batch,
                    prediction=prediction,
                    latency_s=time.perf_counter() - started,
                )
            )
        return Reply(
            200,
            payload,
            accept,
            (
                (VARIANT_HEADER, predictor.name),
                ("X-Request-Id", request_id),
                ("X-Model-Seconds", f"{model_s:.6f}"),
            ),
        )


class ServingApp:
    """The ASGI app the server runs: POST /invocations goes straight to `Invocations`,
    everything else to the FastAPI app (`api`). Other attributes are the FastAPI app's
    (`state`, `openapi()`, `routes`, ...)."""

    def __init__(self, api: ASGIApp, endpoint: Invocations) -> None:
        self.api = api
        self.endpoint = endpoint

    def __getattr__(self, name: str) -> Any:
        return getattr(self.api, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.api(scope, receive, send)
            return
        started = time.perf_counter()
        reply = await self._answer(scope, receive)
        if reply is not None:
            await _send(send, reply)
            metrics.observe(PATH, "POST", reply.status, time.perf_counter() - started)

    async def _answer(self, scope: Scope, receive: Receive) -> Reply | None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        limit = self.endpoint.settings.max_body_bytes
        try:
            body = await receive_body(receive, headers.get("content-length"), limit)
        except PayloadTooLarge as exc:
            return error_reply(exc)
        if body is None:
            return None
        try:
            return await self.endpoint.handle(headers, body)
        except Exception:  # a bug, not the input: answer 500 and keep the worker alive
            log.exception("unexpected error in %s", PATH)
            metrics.ERRORS.labels(PATH, "internal").inc()
            return Reply(500, b'{"error":"internal","message":"Unexpected error; see the logs."}')


async def _send(send: Send, reply: Reply) -> None:
    media_type = reply.media_type
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    headers = [
        (b"content-type", media_type.encode()),
        (b"content-length", str(len(reply.body)).encode()),
    ]
    headers += [(k.lower().encode(), v.encode("latin-1")) for k, v in reply.headers]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
