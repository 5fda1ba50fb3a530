"""HTTP routes: GET /ping, POST /invocations, GET /metrics, GET /openapi.json.

Routes only move bytes: `codecs` parses and validates, `predictor` predicts. Every error a
request can cause is a `ServeError` answered as JSON with its 4xx status; only a model fault
(never bad input) gives a 5xx.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from houseprices.serve import metrics, openapi
from houseprices.serve.errors import ModelUnavailable, ServeError
from houseprices.serve.invocations import (
    PATH,
    Invocations,
    ServingApp,
    error_reply,
    receive_body,
)
from houseprices.serve.predictor import ModelRegistry, PredictionLog
from houseprices.serve.settings import ServeSettings
from houseprices.serve.sinks import JsonlSink

log = logging.getLogger(__name__)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything over `limit` bytes before reading it all."""
    body = await receive_body(request.receive, request.headers.get("content-length"), limit)
    if body is None:
        raise ClientDisconnect()
    return body


def _error_response(exc: ServeError, route: str) -> Response:
    reply = error_reply(exc, route)
    return Response(reply.body, reply.status, media_type=reply.media_type)


def build_prediction_log(settings: ServeSettings) -> PredictionLog:
    plog = PredictionLog(maxsize=settings.prediction_log_queue)
    if settings.prediction_log is not None:
        plog.add_sink(JsonlSink(settings.prediction_log))
    plog.on_drop = metrics.LOG_DROPPED.inc
    return plog


def create_app(
    settings: ServeSettings | None = None,
    registry: ModelRegistry | None = None,
    prediction_log: PredictionLog | None = None,
) -> ServingApp:
    """The ASGI app: `ServingApp` around the FastAPI app (routes, docs, metrics). Without
    `registry`, the variants in `settings` are loaded at startup."""
    settings = settings or ServeSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.registry is None:
            app.state.registry = ModelRegistry.from_paths(
                settings.variant_paths(), settings.default_variant
            )
        try:
            app.state.registry.check()
        except ModelUnavailable as exc:
            log.error("%s", exc)  # keep serving: /ping reports 503 until it recovers
        app.state.prediction_log.start()
        # The loaded models are hundreds of thousands of long-lived objects (trees, level
        # tables): left to the cyclic GC, every full collection walks them all (tens of ms,
        # the p99 of a busy server). Frozen, they are never scanned again.
        gc.collect()
        gc.freeze()
        log.info(
            "serving variants %s (default %s)", app.state.registry.names, settings.default_variant
        )
        yield
        app.state.prediction_log.close()

    app = FastAPI(
        title="houseprices",
        summary="Kaggle House Prices model on the SageMaker container contract.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.registry = registry
    app.state.prediction_log = prediction_log or build_prediction_log(settings)
    app.state.settings = settings
    endpoint = Invocations(settings, app.state)
    app.state.invocations = endpoint
    app.add_middleware(metrics.MetricsMiddleware)

    @app.exception_handler(ServeError)
    async def serve_error(request: Request, exc: ServeError) -> Response:
        return _error_response(exc, request.url.path)

    @app.get("/ping", summary="200 when the model is loaded and a canned prediction succeeds")
    async def ping() -> Response:
        registry: ModelRegistry | None = app.state.registry
        try:
            if registry is None:
                raise ModelUnavailable("The model is not loaded yet.")
            # The canned prediction runs in a worker thread: the event loop keeps serving.
            await run_in_threadpool(registry.check, settings.ping_max_age)
        except ModelUnavailable as exc:
            return _error_response(exc, "/ping")
        return Response(b'{"status":"ok"}', media_type="application/json")

    @app.get("/models", summary="The loaded variants and their metadata")
    async def models() -> dict[str, Any]:
        registry: ModelRegistry | None = app.state.registry
        if registry is None:
            raise ModelUnavailable("The model is not loaded yet.")
        return registry.info()

    @app.post(
        PATH,
        summary="Predict sale prices with their 90 % interval",
        openapi_extra=openapi.invocations_openapi(),
    )
    async def invocations(request: Request) -> Response:
        # ServingApp answers this path before FastAPI sees it; the route documents it and
        # serves the FastAPI app used on its own.
        body = await read_body(request, settings.max_body_bytes)
        reply = await endpoint.handle(request.headers, body)
        return Response(
            reply.body, reply.status, headers=dict(reply.headers), media_type=reply.media_type
        )

    @app.get("/metrics", summary="Prometheus metrics")
    async def metrics_route() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            doc.setdefault("components", {}).setdefault("schemas", {}).update(openapi.components())
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    return ServingApp(app, endpoint)
