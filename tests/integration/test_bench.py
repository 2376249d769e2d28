"""The benchmark code runs end to end on tiny sizes (its speed is `make bench`'s business)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.scenarios import TARGETS
from tests.conftest import require_postgres

ROOT = Path(__file__).resolve().parents[2]


def require_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("wrk is missing, and CI=true: .ci/run installs Debian's wrk")
    pytest.skip("wrk is missing (make bench installs it): benchmark smoke test skipped")


@pytest.mark.slow
def test_every_benchmark_figure_is_written_on_a_tiny_run(tmp_path: Path) -> None:
    require_postgres()
    require_wrk()
    out = tmp_path / "latest.json"
    subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT, check=True, timeout=600, capture_output=True,
    )  # fmt: skip
    results = json.loads(out.read_text())
    assert results["errors"] == {}
    missing = [key for key, _, _ in TARGETS if key not in results]
    assert missing == []
    assert all(isinstance(results[key], int | float) for key, _, _ in TARGETS)
    assert results["post_http_failed"] == 0
