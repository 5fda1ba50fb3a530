"""Start/stop the local serving stack for the benchmark and fuzz scripts (127.0.0.1 only)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalStack:
    """`python -m houseprices.serve` on a free 127.0.0.1 port; stopped by PID with SIGTERM."""

    def __init__(
        self,
        model: Path,
        workers: int | None = None,
        nginx: bool | None = None,
        log: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable,
            "-m",
            "houseprices.serve",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        if workers:
            cmd += ["--workers", str(workers)]
        if nginx is not None:
            cmd.append("--nginx" if nginx else "--no-nginx")
        self.log = log or Path(os.devnull)
        self._fh = self.log.open("wb")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, stdout=self._fh, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        self.cold_start_s: float | None = None

    def wait_ready(self, timeout: float = 180.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(self.url + "/ping", timeout=2).status_code == 200:
                    self.cold_start_s = time.perf_counter() - self.started
                    return self.cold_start_s
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"no /ping 200 within {timeout}s; see {self.log}")

    def worker_pids(self) -> set[int]:
        """PIDs of the launcher's descendants (gunicorn master and workers, nginx)."""
        found: set[int] = set()
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                children = [int(c) for c in task.read_text().split()]
                found.update(children)
                todo.extend(children)
        return found

    def stop(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self._fh.close()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
