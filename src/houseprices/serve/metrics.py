"""Prometheus metrics: requests, latency, errors, rows predicted, prediction-log drops.

With several gunicorn workers, `PROMETHEUS_MULTIPROC_DIR` (set by the launcher) makes every
worker write its samples there and /metrics aggregates them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

ROUTES = frozenset({"/ping", "/invocations", "/metrics", "/openapi.json"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("houseprices_requests_total", "HTTP requests", ["route", "method", "status"])
LATENCY = Histogram(
    "houseprices_request_seconds", "Request latency in the app", ["route"], buckets=LATENCY_BUCKETS
)
ERRORS = Counter("houseprices_errors_total", "Requests answered with an error", ["route", "kind"])
ROWS = Counter("houseprices_rows_predicted_total", "Rows predicted", ["variant"])
MODEL_CALLS = Counter(
    "houseprices_model_calls_total",
    "Model calls (micro-batching merges concurrent requests: rows / calls = rows per call)",
    ["variant"],
)
PREDICT_SECONDS = Histogram(
    "houseprices_predict_seconds",
    "Model time per request (decode excluded)",
    ["variant"],
    buckets=LATENCY_BUCKETS,
)
LOG_DROPPED = Counter("houseprices_prediction_log_dropped_total", "Prediction-log events dropped")


def exposition() -> tuple[bytes, str]:
    """The metrics text, aggregated over workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


class MetricsMiddleware:
    """Pure ASGI middleware (no per-request task overhead): counts and times every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        path = scope.get("path", "")
        route = path if path in ROUTES else "other"

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            observe(route, scope.get("method", ""), status, time.perf_counter() - started)


def observe(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    LATENCY.labels(route).observe(seconds)
    REQUESTS.labels(route, method, str(status)).inc()
