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


def test_a_profile_is_summarised_by_the_part_of_the_request_path_each_sample_is_in() -> None:
    from bench.profile import summarise

    raw = [
        "thread (1): MainThread;run (uvicorn/main.py:1);solve_dependencies (fastapi/x.py:2) 30",
        "thread (2): ledger-writer;LedgerBase.save (ledger/base.py:3);"
        "insert_events (ledger/store.py:4) 50",
        "thread (2): ledger-writer;LedgerBase.save (ledger/base.py:3) 15",
        "thread (3): somewhere;elsewhere (x.py:1) 5",
        "not a sample line",
    ]
    assert summarise(raw) == [
        ("database: insert", 0.5),
        ("FastAPI: dependencies (body, key, checks)", 0.3),
        ("ledger: save (events to rows)", 0.15),
        ("other", 0.05),
    ]
