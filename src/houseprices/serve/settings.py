"""Serving settings from environment variables (prefix HOUSEPRICES_SERVE_), plus SageMaker's
MODEL_SERVER_WORKERS and MODEL_SERVER_TIMEOUT."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "HOUSEPRICES_SERVE_"


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class ServeSettings(BaseSettings):
    """Every knob of the server; `houseprices serve --help` shows the command-line overrides."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", populate_by_name=True)

    model_path: Path = Field(
        default=Path("models/model.joblib"), description="Artifact of the default variant."
    )
    default_variant: str = Field(default="champion", description="Name of the default variant.")
    variants: dict[str, Path] = Field(
        default_factory=dict,
        description='More variants side by side, as JSON: {"challenger": "path/model.joblib"}.',
    )
    host: str = Field(
        default="127.0.0.1", description="Address the front (nginx or gunicorn) binds."
    )
    port: int = Field(default=8080, ge=1, le=65535)
    nginx: bool = Field(default=True, description="Put nginx in front of gunicorn (if installed).")
    workers: int = Field(
        default_factory=_cpu_count,
        ge=1,
        validation_alias=AliasChoices("MODEL_SERVER_WORKERS", f"{ENV_PREFIX}WORKERS"),
    )
    timeout: int = Field(
        default=60,
        ge=1,
        validation_alias=AliasChoices("MODEL_SERVER_TIMEOUT", f"{ENV_PREFIX}TIMEOUT"),
    )
    max_body_bytes: int = Field(
        default=6 * 1024 * 1024, ge=1024, description="Larger bodies get 413."
    )
    max_rows: int = Field(default=20_000, ge=1, description="More rows per request get 413.")
    ping_max_age: float = Field(
        default=5.0, ge=0, description="Seconds a successful canned prediction counts for /ping."
    )
    micro_batch_max_rows: int = Field(
        default=256,
        ge=0,
        description="Merge concurrent requests into one model call up to this many rows (0: off).",
    )
    micro_batch_wait_ms: float = Field(
        default=0.0,
        ge=0,
        le=100,
        description="Milliseconds each model call first waits for more requests to join it: "
        "more throughput under load, that much more latency for every request (0: none).",
    )
    micro_batch_gather: bool = Field(
        default=True,
        description="Before each model call, let the event loop read the requests that have "
        "already arrived so they join the call (no timer; a lone request pays microseconds).",
    )
    inline_rows: int = Field(
        default=64,
        ge=0,
        description="Model calls up to this many rows run on the event loop, larger ones in a "
        "worker thread.",
    )
    prediction_log: Path | None = Field(
        default=None,
        description="JSONL file for every prediction ({pid} = worker pid); off if unset.",
    )
    prediction_log_queue: int = Field(default=10_000, ge=1)
    log_level: str = Field(default="info")

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.lower()
        if value not in {"critical", "error", "warning", "info", "debug"}:
            raise ValueError("log_level must be one of critical, error, warning, info, debug")
        return value

    def variant_paths(self) -> dict[str, Path]:
        return {self.default_variant: self.model_path, **self.variants}
