"""HTTP routes: GET /ping, POST /invocations, GET /metrics, GET /openapi.json.

Routes only move bytes: `codecs` parses and validates, `predictor` predicts. Every error a
request can cause is a `ServeError` answered as JSON with its 4xx status; only a model fault
(never bad input) gives a 5xx.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from houseprices.serve import codecs, metrics, openapi
from houseprices.serve.batching import MicroBatcher
from houseprices.serve.errors import ModelUnavailable, PayloadTooLarge, Problem, ServeError
from houseprices.serve.predictor import ModelRegistry, PredictionEvent, PredictionLog
from houseprices.serve.settings import ServeSettings
from houseprices.serve.sinks import JsonlSink

log = logging.getLogger(__name__)

#: Bodies larger than this are decoded and predicted in a worker thread, not on the event loop.
INLINE_BODY_BYTES = 32 * 1024
VARIANT_HEADER = "X-Model-Variant"


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything over `limit` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"The body has {declared} bytes; the limit is {limit}: split the request.",
            [Problem("Content-Length", "too large", value=declared)],
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"The body exceeds the limit of {limit} bytes: split the request."
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _error_response(exc: ServeError, route: str) -> JSONResponse:
    metrics.ERRORS.labels(route, exc.kind).inc()
    return JSONResponse(exc.body(), status_code=exc.status)


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
) -> FastAPI:
    """The ASGI app. Without `registry`, the variants in `settings` are loaded at startup."""
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
    app.state.batchers = {}
    app.add_middleware(metrics.MetricsMiddleware)

    @app.exception_handler(ServeError)
    async def serve_error(request: Request, exc: ServeError) -> JSONResponse:
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
        "/invocations",
        summary="Predict sale prices with their 90 % interval",
        openapi_extra=openapi.invocations_openapi(),
    )
    async def invocations(request: Request) -> Response:
        started = time.perf_counter()
        headers = request.headers
        content_type = codecs.media_type(headers.get("content-type"))
        accept = codecs.negotiate(headers.get("accept"), content_type)
        registry: ModelRegistry | None = app.state.registry
        if registry is None:
            raise ModelUnavailable("The model is not loaded yet.")
        predictor = registry.get(headers.get(VARIANT_HEADER))
        body = await read_body(request, settings.max_body_bytes)
        big = len(body) > INLINE_BODY_BYTES
        if big:
            batch = await run_in_threadpool(codecs.decode, body, content_type, settings.max_rows)
        else:
            batch = codecs.decode(body, content_type, settings.max_rows)
        predict_started = time.perf_counter()
        try:
            if settings.micro_batch_max_rows > 0:
                batchers: dict[str, MicroBatcher] = app.state.batchers
                batcher = batchers.get(predictor.name)
                if batcher is None or batcher.predictor is not predictor:
                    batcher = MicroBatcher(
                        predictor,
                        settings.micro_batch_max_rows,
                        settings.inline_rows,
                        settings.micro_batch_wait_ms / 1000,
                    )
                    batchers[predictor.name] = batcher
                prediction = await batcher.predict(batch)
            elif big:
                metrics.MODEL_CALLS.labels(predictor.name).inc()
                prediction = await run_in_threadpool(predictor.predict, batch)
            else:
                metrics.MODEL_CALLS.labels(predictor.name).inc()
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
        plog: PredictionLog = app.state.prediction_log
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
        return Response(
            payload,
            media_type=accept,
            headers={
                VARIANT_HEADER: predictor.name,
                "X-Request-Id": request_id,
                "X-Model-Seconds": f"{model_s:.6f}",
            },
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
    return app
