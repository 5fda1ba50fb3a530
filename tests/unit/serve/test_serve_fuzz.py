"""Property test: no request drawn by the fuzz strategies gets a 5xx (in-process, tiny model).

`make fuzz-serve` runs the same strategies against the real stack with >= 1000 examples.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from houseprices.serve.app import create_app
from houseprices.serve.predictor import ModelRegistry
from houseprices.serve.settings import ServeSettings

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts" / "serve"
sys.path.insert(0, str(SCRIPTS))
_spec = importlib.util.spec_from_file_location("serve_fuzz", SCRIPTS / "fuzz.py")
assert _spec is not None and _spec.loader is not None
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)


def test_no_request_gets_a_5xx(registry: ModelRegistry) -> None:
    with TestClient(create_app(ServeSettings(), registry)) as client:

        @settings(
            max_examples=300,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(fuzz.requests())
        def probe(req: tuple[bytes, str, dict[str, str]]) -> None:
            body, content_type, headers = req
            hdrs = {**headers, **({"content-type": content_type} if content_type else {})}
            r = client.post("/invocations", content=body, headers=hdrs)
            assert r.status_code < 500, (req, r.text)
            if r.status_code >= 400:
                assert r.json()["message"]

        probe()
