"""The container proof, from pytest: skipped unless HOUSEPRICES_CONTAINER_TESTS=1.

CI runs it as `make container-test` (podman, see docs/serving.md); this wrapper lets a developer
run the same script with `HOUSEPRICES_CONTAINER_TESTS=1 pytest -m container`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.container,
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("HOUSEPRICES_CONTAINER_TESTS") != "1",
        reason="container test: set HOUSEPRICES_CONTAINER_TESTS=1 (or run `make container-test`)",
    ),
]


def test_container_build_train_serve_matches_host(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        ["make", "container-test", f"BIN={bin_dir}", f"HP={bin_dir / 'houseprices'}"],
        cwd=ROOT,
        env={**os.environ, "REPORT": str(tmp_path / "container_test.json")},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "container test passed" in result.stderr
