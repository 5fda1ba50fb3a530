"""`houseprices serve`: the container's serving stack, run locally."""

from __future__ import annotations

import os
from pathlib import Path

import typer


def serve_cmd(
    model: Path | None = typer.Option(
        None, help="Model artifact (default $HOUSEPRICES_SERVE_MODEL_PATH or models/model.joblib)."
    ),
    host: str | None = typer.Option(None, help="Address to bind (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default 8080)."),
    workers: int | None = typer.Option(
        None, help="gunicorn workers (default $MODEL_SERVER_WORKERS or the CPU count)."
    ),
    timeout: int | None = typer.Option(
        None, help="Request timeout in seconds (default $MODEL_SERVER_TIMEOUT or 60)."
    ),
    nginx: bool | None = typer.Option(
        None, "--nginx/--no-nginx", help="nginx in front (default: when it is installed)."
    ),
) -> None:
    """Serve the model on the SageMaker contract: nginx -> gunicorn -> app (GET /ping,
    POST /invocations, GET /metrics, GET /openapi.json). Settings: HOUSEPRICES_SERVE_* env."""
    from houseprices.serve.launcher import serve
    from houseprices.serve.settings import ServeSettings

    overrides = {
        "HOUSEPRICES_SERVE_MODEL_PATH": model,
        "HOUSEPRICES_SERVE_HOST": host,
        "HOUSEPRICES_SERVE_PORT": port,
        "MODEL_SERVER_WORKERS": workers,
        "MODEL_SERVER_TIMEOUT": timeout,
    }
    for key, value in overrides.items():
        if value is not None:
            os.environ[key] = str(value)
    settings = ServeSettings()
    if not settings.model_path.is_file():
        from houseprices.errors import ModelNotFoundError

        raise ModelNotFoundError(
            f"No model at {settings.model_path}. Train one with `make run`, or pass --model."
        )
    raise typer.Exit(serve(settings, use_nginx=nginx))
