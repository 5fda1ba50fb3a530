"""Run nginx -> gunicorn (uvicorn workers) -> app, as the container's `serve` program does.

The launcher is the parent of both servers: it forwards SIGTERM/SIGINT to them (gunicorn
finishes in-flight requests within its graceful timeout, nginx stops with SIGQUIT), and stops
everything as soon as either server exits on its own.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from string import Template
from types import FrameType

from houseprices.errors import HousePricesError
from houseprices.serve.settings import ENV_PREFIX, ServeSettings

log = logging.getLogger(__name__)

#: Thread pools of numeric libraries: one thread per worker unless the caller says otherwise.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class LauncherError(HousePricesError):
    """The serving stack could not start."""


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def render_nginx(settings: ServeSettings, state: Path, socket: Path) -> Path:
    template = resources.files("houseprices.serve").joinpath("nginx.conf.template").read_text()
    text = Template(template).substitute(
        state=state,
        socket=socket,
        host=settings.host,
        port=settings.port,
        max_body=settings.max_body_bytes,
        timeout=settings.timeout,
    )
    path = state / "nginx.conf"
    path.write_text(text)
    return path


class Stack:
    """The running servers (gunicorn, and nginx unless disabled)."""

    def __init__(self, settings: ServeSettings, use_nginx: bool | None = None) -> None:
        self.settings = settings
        nginx = nginx_binary()
        if use_nginx is None:
            use_nginx = settings.nginx and nginx is not None
        if use_nginx and nginx is None:
            raise LauncherError(
                "nginx is not installed: install it (`apt-get install nginx`, or "
                "`make system-deps`) or run without it (--no-nginx)."
            )
        self.nginx = nginx if use_nginx else None
        self.state = Path(tempfile.mkdtemp(prefix="houseprices-serve-"))
        # nginx started by root runs its workers as an unprivileged user: let them reach the socket.
        self.state.chmod(0o755)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        metrics_dir = self.state / "metrics"
        metrics_dir.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        for var in THREAD_VARS:
            env.setdefault(var, "1")
        bind = (
            f"unix:{self.state / 'gunicorn.sock'}"
            if self.nginx
            else f"{self.settings.host}:{self.settings.port}"
        )
        env[f"{ENV_PREFIX}BIND"] = bind
        # The workers read their settings from the environment: pass on every resolved value.
        env[f"{ENV_PREFIX}MODEL_PATH"] = str(self.settings.model_path.resolve())
        env["MODEL_SERVER_WORKERS"] = str(self.settings.workers)
        env["MODEL_SERVER_TIMEOUT"] = str(self.settings.timeout)
        return env

    def start(self) -> None:
        env = self.environment()
        gunicorn = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:houseprices.serve.gunicorn_conf",
            "houseprices.serve.asgi:app",
        ]
        self.procs["gunicorn"] = subprocess.Popen(gunicorn, env=env)
        if self.nginx:
            self._wait_for_socket(self.state / "gunicorn.sock")
            conf = render_nginx(self.settings, self.state, self.state / "gunicorn.sock")
            self.procs["nginx"] = subprocess.Popen(
                [self.nginx, "-e", "stderr", "-p", str(self.state), "-c", str(conf)], env=env
            )
        front = "nginx" if self.nginx else "gunicorn"
        log.info(
            "serving on http://%s:%d (%s, %d workers, timeout %ds)",
            self.settings.host,
            self.settings.port,
            f"{front} -> gunicorn" if self.nginx else front,
            self.settings.workers,
            self.settings.timeout,
        )

    def _wait_for_socket(self, socket: Path) -> None:
        """gunicorn binds its socket before the workers boot: start nginx once it exists."""
        deadline = time.monotonic() + self.settings.timeout
        while not socket.exists():
            if self.procs["gunicorn"].poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise LauncherError(
                    f"gunicorn did not bind {socket} (exit code {self.procs['gunicorn'].poll()}); "
                    "see its log above."
                )
            time.sleep(0.02)

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        for name, sig in (("nginx", signal.SIGQUIT), ("gunicorn", signal.SIGTERM)):
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is None:
                proc.send_signal(sig)

    def wait(self) -> int:
        """Block until both servers have exited; the first unexpected exit stops the other."""
        code = 0
        while any(p.poll() is None for p in self.procs.values()):
            for name, proc in self.procs.items():
                rc = proc.poll()
                if rc is not None and not self.stopping:
                    log.error("%s exited with code %s; stopping", name, rc)
                    code = rc or 1
                    self.stop()
            time.sleep(0.1)
            if self.stopping:
                self._reap(deadline=time.monotonic() + self.settings.timeout + 5)
        shutil.rmtree(self.state, ignore_errors=True)
        return code

    def _reap(self, deadline: float) -> None:
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def serve(settings: ServeSettings, use_nginx: bool | None = None) -> int:
    """Start the stack, forward SIGTERM/SIGINT, return the exit code."""
    stack = Stack(settings, use_nginx)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s: shutting down gracefully", signal.Signals(signum).name)
        stack.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stack.start()
    return stack.wait()
