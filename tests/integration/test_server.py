"""The real serving stack on 127.0.0.1: gunicorn + uvicorn workers, with nginx in front when it
is installed. A real (quickly trained) model, the real test.csv, stopped by PID with SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import orjson
import pandas as pd
import pytest

from houseprices import schema
from houseprices.config import DATA_ENV
from houseprices.features import remove_outliers
from houseprices.params import FeatureParams, parse_params
from houseprices.predict import predict_file
from houseprices.train import train_all

DATA = Path(os.environ.get(DATA_ENV, "")) if os.environ.get(DATA_ENV) else None
pytestmark = pytest.mark.skipif(
    DATA is None or not (DATA / "train.csv").is_file(), reason=f"{DATA_ENV} is not set"
)
BOOT_TIMEOUT = 180.0


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert DATA is not None
    frame = schema.validate_frame(schema.read_csv(DATA / "train.csv"), with_target=True)
    features = FeatureParams()
    kept = remove_outliers(frame, features.outliers.max_grlivarea, features.outliers.min_saleprice)
    params = parse_params(
        {
            "train": {
                "cv": {"n_splits": 2, "n_repeats": 1},
                "families": {
                    "lasso": {"model": {"alpha": 0.0005}},
                    "lightgbm": {"model": {"n_estimators": 200, "learning_rate": 0.05}},
                },
            }
        }
    )
    model, _ = train_all(kept, params)
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    model.save(path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


def start_server(model: Path, tmp: Path, nginx: bool, workers: int) -> Server:
    port = free_port()
    log = tmp / f"server-{port}.log"
    env = {
        **os.environ,
        "HOUSEPRICES_SERVE_PREDICTION_LOG": str(tmp / "predictions-{pid}.jsonl"),
        "HOUSEPRICES_SERVE_MAX_BODY_BYTES": str(1024 * 1024),
    }
    cmd = [sys.executable, "-m", "houseprices.serve", "--model", str(model), "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", str(workers), "--nginx" if nginx else "--no-nginx"]
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(server.url + "/ping", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    pytest.fail(f"no /ping 200 within {BOOT_TIMEOUT}s:\n{log.read_text()[-3000:]}")


STACKS = [pytest.param((False, 1), id="gunicorn")]
if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
    STACKS.append(pytest.param((True, 2), id="nginx-gunicorn-2workers"))


@pytest.fixture(scope="module", params=STACKS)
def server(
    request: pytest.FixtureRequest, model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    nginx, workers = request.param
    srv = start_server(model_path, tmp_path_factory.mktemp("serve"), nginx, workers)
    yield srv
    srv.stop()


def test_whole_test_csv_matches_batch_prediction(server: Server, model_path: Path) -> None:
    assert DATA is not None
    body = (DATA / "test.csv").read_bytes()
    r = httpx.post(
        server.url + "/invocations", content=body, headers={"content-type": "text/csv"}, timeout=60
    )
    assert r.status_code == 200, r.text
    served = pd.read_csv(pd.io.common.StringIO(r.text))
    expected = predict_file(model_path, DATA / "test.csv")
    assert len(served) == 1459 == len(expected)
    assert served["Id"].tolist() == expected["Id"].tolist()
    for column in ("SalePrice", "lower", "upper"):
        np.testing.assert_allclose(served[column], expected[column], rtol=1e-9)


def test_single_json_row_and_errors(server: Server) -> None:
    record = {
        "Neighborhood": "CollgCr",
        "OverallQual": 7,
        "GrLivArea": 1800,
        "YearBuilt": 2004,
        "YrSold": 2009,
    }
    r = httpx.post(
        server.url + "/invocations",
        content=orjson.dumps([record]),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200
    p = r.json()["predictions"][0]
    assert p["lower"] < p["SalePrice"] < p["upper"]
    bad = {**record, "GrLivArea": "huge"}
    r = httpx.post(
        server.url + "/invocations",
        content=orjson.dumps([bad]),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["field"] == "GrLivArea"
    r = httpx.post(
        server.url + "/invocations",
        content=b"x" * (2 * 1024 * 1024),
        headers={"content-type": "text/csv"},
    )
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    r = httpx.post(server.url + "/invocations", content=b"a", headers={"content-type": "text/xml"})
    assert r.status_code == 415


def test_metrics_add_up_over_workers(server: Server) -> None:
    def invalid_count() -> float:
        text = httpx.get(server.url + "/metrics").text
        lines = [
            x
            for x in text.splitlines()
            if x.startswith("houseprices_errors_total{") and 'kind="invalid_input"' in x
        ]
        return sum(float(x.rsplit(" ", 1)[1]) for x in lines)

    before = invalid_count()
    for _ in range(6):  # spread over the workers by nginx/gunicorn
        httpx.post(
            server.url + "/invocations",
            content=orjson.dumps([{"GrLivArea": 1}]),
            headers={"content-type": "application/json"},
        )
    assert invalid_count() - before == 6
    assert "houseprices_rows_predicted_total" in httpx.get(server.url + "/metrics").text


def test_openapi_document(server: Server) -> None:
    doc = httpx.get(server.url + "/openapi.json").json()
    assert "/invocations" in doc["paths"]


def test_sigterm_finishes_in_flight_request_then_exits_0(model_path: Path, tmp_path: Path) -> None:
    assert DATA is not None
    srv = start_server(model_path, tmp_path, nginx=False, workers=1)
    body = (DATA / "test.csv").read_bytes()
    result: dict[str, int] = {}

    def call() -> None:
        r = httpx.post(
            srv.url + "/invocations", content=body, headers={"content-type": "text/csv"}, timeout=60
        )
        result["status"] = r.status_code

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.05)
    assert srv.stop(timeout=60) == 0
    worker.join(60)
    assert result.get("status") == 200
    logs = list(tmp_path.glob("predictions-*.jsonl"))
    assert logs and sum(len(p.read_text().splitlines()) for p in logs) >= 1
