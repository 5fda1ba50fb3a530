"""gunicorn settings (`gunicorn -c python:houseprices.serve.gunicorn_conf`), from ServeSettings.

The launcher passes the bind address in HOUSEPRICES_SERVE_BIND (a unix socket behind nginx).
"""

from __future__ import annotations

import os
from typing import Any

from uvicorn_worker import UvicornWorker

from houseprices.serve.settings import ServeSettings


class Worker(UvicornWorker):
    """uvicorn's gunicorn worker on uvloop + httptools, without uvicorn's access log (gunicorn
    has none either: nginx is the place for one); a log record per request costs ~10 % of a
    single-row request."""

    CONFIG_KWARGS = {"loop": "uvloop", "http": "httptools", "access_log": False}  # noqa: RUF012 (uvicorn-worker's extension point)


_settings = ServeSettings()

bind = [os.environ.get("HOUSEPRICES_SERVE_BIND", f"{_settings.host}:{_settings.port}")]
workers = _settings.workers
worker_class = "houseprices.serve.gunicorn_conf.Worker"
timeout = _settings.timeout
graceful_timeout = min(_settings.timeout, 30)
keepalive = 75
loglevel = _settings.log_level
accesslog = None
errorlog = "-"
# The master imports the libraries once and forks the workers (shared pages, quicker boot). The
# model itself is loaded by each worker after the fork (in the app's lifespan), so no OpenMP
# thread pool of LightGBM/XGBoost ever crosses a fork.
preload_app = True
control_socket_disable = True
proc_name = "houseprices-serve"


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges from the multiprocess metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
