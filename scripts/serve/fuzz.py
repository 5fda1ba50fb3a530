"""Fuzz the running serving stack with hypothesis-generated bad (and odd) requests.

    python scripts/serve/fuzz.py --model models/model.joblib --examples 1500

Starts nginx -> gunicorn -> app on 127.0.0.1, sends --examples requests drawn from: random
bytes under any content type, the canned house with one field set to junk (text, NaN/inf,
huge/negative numbers, wrong JSON types), required fields removed, unknown and duplicated
columns, ragged CSV rows, arbitrary JSON documents, and CSV bodies large enough for the
pandas parser path with one junk cell or ragged row. Fails if any answer is a 5xx, if /ping is
not 200 afterwards, or if a worker process was replaced (a crash). Writes a JSON report.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from stack import LocalStack

from houseprices import schema
from houseprices.serve.predictor import CANNED_HOUSE

FIELDS = list(schema.COLUMNS)
CONTENT_TYPES = [
    "text/csv",
    "application/json",
    "text/csv; charset=utf-8",
    "text/plain",
    "application/octet-stream",
    "",
    "multipart/form-data",
    "application/xml",
]
junk_text = st.text(max_size=30)
junk_value = st.one_of(
    junk_text,
    st.sampled_from(
        [
            "NaN",
            "nan",
            "inf",
            "-inf",
            "Infinity",
            "1e400",
            "-1",
            "0",
            "NA",
            "",
            "1_000",
            " 12 ",
            "0x1A",
            "١٢٣",
            "None",
            "null",
            "true",
            "C (all)",
        ]
    ),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
json_doc = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | junk_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(junk_text, children, max_size=4)
    ),
    max_leaves=12,
)


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


@st.composite
def large_csv(draw: st.DrawFn) -> bytes:
    """A body over the size at which pandas' C parser takes over (codecs.PARSER_MIN_BYTES):
    the canned house on every row, one cell junked, a row cut or lengthened, or all valid."""
    names = list(CANNED_HOUSE)
    row = [csv_cell(CANNED_HOUSE[n]) for n in names]
    rows = [list(row) for _ in range(draw(st.integers(130, 200)))]
    i = draw(st.integers(0, len(rows) - 1))
    change = draw(st.sampled_from(["cell", "short", "long", "none"]))
    if change == "cell":
        rows[i][draw(st.integers(0, len(names) - 1))] = csv_cell(draw(junk_value))
    elif change == "short":
        rows[i] = rows[i][: draw(st.integers(0, len(names) - 1))]
    elif change == "long":
        rows[i] = [*rows[i], csv_cell(draw(junk_value))]
    lines = [",".join(names), *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


@st.composite
def requests(draw: st.DrawFn) -> tuple[bytes, str, dict[str, str]]:
    kind = draw(
        st.sampled_from(
            [
                *("bytes", "field", "drop", "unknown", "dup", "ragged", "json", "split"),
                *("accept", "large"),
            ]
        )
    )
    house: dict[str, Any] = dict(CANNED_HOUSE)
    as_json = draw(st.booleans())
    headers: dict[str, str] = {}
    if kind == "bytes":
        return draw(st.binary(max_size=300)), draw(st.sampled_from(CONTENT_TYPES)), headers
    if kind == "json":
        return json.dumps(draw(json_doc)).encode(), "application/json", headers
    if kind == "large":
        return draw(large_csv()), "text/csv", headers
    if kind == "field":
        house[draw(st.sampled_from(FIELDS))] = draw(junk_value)
    elif kind == "drop":
        for name in draw(st.lists(st.sampled_from(list(house)), min_size=1, max_size=6)):
            house.pop(name, None)
    elif kind == "unknown":
        house[draw(st.text(min_size=1, max_size=12))] = draw(junk_value)
    elif kind == "accept":
        headers["accept"] = draw(st.sampled_from(["image/png", "text/html", "*/*;q=0", "", "x"]))
    if kind == "split":
        names = list(house)
        data = [[house[n] for n in names]]
        if draw(st.booleans()):
            data[0] = data[0][: draw(st.integers(0, len(names)))]
        return json.dumps({"columns": names, "data": data}).encode(), "application/json", headers
    if as_json and kind not in ("dup", "ragged"):
        return json.dumps([house]).encode(), "application/json", headers
    names = list(house)
    row = [csv_cell(house[n]) for n in names]
    if kind == "dup":
        dup = draw(st.sampled_from(names))
        names, row = [*names, dup], [*row, row[0]]
    if kind == "ragged":
        row = row[: draw(st.integers(0, len(row) - 1))]
    body = ",".join(csv_cell(n) for n in names) + "\n" + ",".join(row) + "\n"
    return body.encode("utf-8", "surrogatepass"), "text/csv", headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/model.joblib"))
    parser.add_argument("--examples", type=int, default=1500)
    parser.add_argument("--out", type=Path, default=Path("reports/fuzz_serve.json"))
    parser.add_argument(
        "--min-rejected", type=int, default=1000, help="Fail unless this many got a 4xx."
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="Another set of examples (default: the fixed one)."
    )
    args = parser.parse_args()

    statuses: collections.Counter[int] = collections.Counter()
    server_errors: list[dict[str, Any]] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    log = Path(tempfile.gettempdir()) / "houseprices-fuzz-serve.log"
    with LocalStack(args.model, log=log) as stack:
        stack.wait_ready()
        pids_before = stack.worker_pids()
        client = httpx.Client(base_url=stack.url, timeout=30)

        @settings(
            max_examples=args.examples,
            deadline=None,
            database=None,
            derandomize=args.seed is None,
            suppress_health_check=list(HealthCheck),
        )
        @given(requests())
        def probe(req: tuple[bytes, str, dict[str, str]]) -> None:
            body, content_type, headers = req
            hdrs = {**headers, **({"content-type": content_type} if content_type else {})}
            r = client.post("/invocations", content=body, headers=hdrs)
            statuses[r.status_code] += 1
            if r.status_code >= 500:
                server_errors.append(
                    {
                        "status": r.status_code,
                        "body": body[:300].decode("utf-8", "replace"),
                        "content_type": content_type,
                        "response": r.text[:300],
                    }
                )

        if args.seed is not None:
            probe = seed(args.seed)(probe)
        probe()
        ping = client.get("/ping").status_code
        pids_after = stack.worker_pids()
        client.close()
    report = {
        "requests": sum(statuses.values()),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "rejected_4xx": sum(v for k, v in statuses.items() if 400 <= k < 500),
        "server_errors": len(server_errors),
        "examples_of_5xx": server_errors[:10],
        "ping_after": ping,
        "workers_replaced": sorted(pids_before - pids_after),
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))  # noqa: T201
    ok = not server_errors and ping == 200 and not report["workers_replaced"]
    ok = ok and report["rejected_4xx"] >= args.min_rejected
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
