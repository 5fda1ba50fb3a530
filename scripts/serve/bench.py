"""Benchmark the local serving stack (nginx -> gunicorn -> app) with wrk, and profile one row.

    python scripts/serve/bench.py --model models/model.joblib --out reports/bench_serve.json

1. In-process profile of a single-row request: decode, DataFrame, every pipeline step, encode.
2. Starts the stack on 127.0.0.1 (cold start = launch -> first /ping 200).
3. wrk, single-row CSV body (test.csv's header + first row), 16 connections: req/s, p50, p99.
4. The whole test.csv (1459 rows) sent sequentially: client latency and the server's model time
   per batch (X-Model-Seconds).
Bounded: each wrk run lasts --duration seconds; the server is stopped by PID at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from sklearn.dummy import DummyRegressor
from sklearn.pipeline import Pipeline

sys.path.insert(0, str(Path(__file__).parent))
from stack import LocalStack

from houseprices import schema
from houseprices.ensemble import BlendedEnsemble
from houseprices.features import HouseFeaturizer
from houseprices.model import ConformalInterval, HousePriceModel
from houseprices.serve import codecs
from houseprices.serve.predictor import Predictor

TARGETS = {"single_row_rps": 2500, "single_row_p99_ms": 25, "batch_1459_ms": 100, "cold_start_s": 5}


def median_ms(fn: Callable[[], Any], repeat: int = 30) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1000, 3)


def leaf_steps(est: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(est, Pipeline):
        out: list[tuple[str, Any]] = []
        for name, step in est.steps:
            out += leaf_steps(step, f"{prefix}{name}/")
        return out
    return [(prefix.rstrip("/"), est)]


def profile_single_row(model_path: Path, body: bytes) -> dict[str, Any]:
    model = HousePriceModel.load(model_path)
    predictor = Predictor("champion", model)
    batch = codecs.decode(body, codecs.CSV, 10)
    frame = batch.frame
    parts: dict[str, float] = {
        "decode_and_validate_csv": median_ms(lambda: codecs.decode(body, codecs.CSV, 10)),
        "build_dataframe": median_ms(lambda: pd.DataFrame(dict(batch.columns), copy=False)),
    }
    steps = leaf_steps(model.pipeline)
    X: Any = frame
    for name, step in steps[:-1]:
        current = X
        parts[f"pipeline:{name}.transform"] = median_ms(lambda s=step, x=current: s.transform(x))
        X = step.transform(X)
    name, last = steps[-1]
    parts[f"pipeline:{name}.predict"] = median_ms(lambda: last.predict(X))
    pred = predictor.predict(batch)
    parts["encode_csv"] = median_ms(lambda: codecs.encode(pred, batch.ids, codecs.CSV))
    total_predict = median_ms(lambda: predictor.predict(batch))
    parts["predictor.predict_total"] = total_predict
    return {
        "fast_path": predictor.fast_path is not None,
        "steps_ms": parts,
        "model_steps": [f"{n}: {type(s).__name__}" for n, s in steps],
    }


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(text: str) -> dict[str, Any]:
    def latency(pct: str) -> float | None:
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        return round(float(m.group(1)) * UNITS[m.group(2)], 3) if m else None

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {
        "requests_per_s": float(rps.group(1)) if rps else None,
        "requests": int(total.group(1)) if total else None,
        "p50_ms": latency("50"),
        "p90_ms": latency("90"),
        "p99_ms": latency("99"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else None,
    }


def run_wrk(url: str, body: bytes, connections: int, duration: int, threads: int) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (or `make system-deps`).")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "text/csv"\n')
        fh.write(f"wrk.body = [==[{body.decode()}]==]\n")
        script = fh.name
    try:
        cmd = [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            script,
            url + "/invocations",
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=duration + 30)
    finally:
        os.unlink(script)
    result = parse_wrk(out.stdout)
    result.update({"connections": connections, "duration_s": duration, "threads": threads})
    return result


def rows_per_call(url: str) -> float | None:
    """Rows predicted / model calls so far, from /metrics (how much micro-batching merged)."""
    text = httpx.get(url + "/metrics", timeout=10).text

    def total(metric: str) -> float:
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(metric + "{")
        )

    calls = total("houseprices_model_calls_total")
    return round(total("houseprices_rows_predicted_total") / calls, 2) if calls else None


def batch_latency(url: str, body: bytes, n: int) -> dict[str, Any]:
    client_ms, model_ms = [], []
    with httpx.Client(timeout=60) as client:
        for _ in range(n + 1):
            t = time.perf_counter()
            r = client.post(
                url + "/invocations", content=body, headers={"content-type": "text/csv"}
            )
            elapsed = (time.perf_counter() - t) * 1000
            r.raise_for_status()
            client_ms.append(elapsed)
            model_ms.append(float(r.headers["x-model-seconds"]) * 1000)
    client_ms, model_ms = client_ms[1:], model_ms[1:]  # the first one warms up
    return {
        "requests": n,
        "client_p50_ms": round(statistics.median(client_ms), 1),
        "client_max_ms": round(max(client_ms), 1),
        "server_model_p50_ms": round(statistics.median(model_ms), 1),
        "rows_per_request": body.decode().count("\n") - 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/model.joblib"))
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("HOUSE_PRICES_DATA", "data/raw"))
    )
    parser.add_argument("--out", type=Path, default=Path("reports/bench_serve.json"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--no-ceiling", action="store_true", help="Skip the run with a trivial model."
    )
    args = parser.parse_args()

    test_csv = (args.data / "test.csv").read_bytes()
    lines = test_csv.decode().splitlines()
    single = (lines[0] + "\n" + lines[1] + "\n").encode()

    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": os.getloadavg(),
        },
        "model": str(args.model),
        "profile_single_row": profile_single_row(args.model, single),
    }
    log = Path(tempfile.gettempdir()) / "houseprices-bench-serve.log"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with LocalStack(args.model, workers=args.workers, log=log) as stack:
        report["cold_start_s"] = round(stack.wait_ready(), 2)
        report["single_row"] = run_wrk(stack.url, single, args.connections, args.duration, 2)
        report["single_row"]["rows_per_model_call"] = rows_per_call(stack.url)
        report["batch_1459"] = batch_latency(stack.url, test_csv, args.batches)
    if not args.no_ceiling:
        # The same stack and request with a trivial model (a constant behind one
        # featurization, on the same fast path as the champion): what the serving layers cost.
        with tempfile.TemporaryDirectory() as tmp:
            trivial = Path(tmp) / "trivial.joblib"
            train = schema.read_csv(args.data / "train.csv")
            X, y = train.drop(columns=[schema.TARGET]), np.log1p(train[schema.TARGET])
            constant = Pipeline(
                [("features", HouseFeaturizer(encoding="ordinal")), ("model", DummyRegressor())]
            )
            ensemble = BlendedEnsemble([("constant", constant)], {"constant": 1.0}).fit(X, y)
            HousePriceModel(pipeline=ensemble, interval=ConformalInterval((0.1,))).save(trivial)
            with LocalStack(trivial, workers=args.workers, log=log) as stack:
                stack.wait_ready()
                report["single_row_trivial_model"] = run_wrk(
                    stack.url, single, args.connections, args.duration, 2
                )
    report["machine"]["loadavg_after"] = os.getloadavg()
    single_r, batch_r = report["single_row"], report["batch_1459"]
    report["targets"] = {
        "single_row_rps": {
            "target": TARGETS["single_row_rps"],
            "measured": single_r["requests_per_s"],
        },
        "single_row_p99_ms": {
            "target": TARGETS["single_row_p99_ms"],
            "measured": single_r["p99_ms"],
        },
        "batch_1459_ms": {"target": TARGETS["batch_1459_ms"], "measured": batch_r["client_p50_ms"]},
        "cold_start_s": {"target": TARGETS["cold_start_s"], "measured": report["cold_start_s"]},
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
