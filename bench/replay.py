"""`timebank replay` of every read model, timed, with the peak memory of its processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.server import TIMEBANK

# Runs the command as its only child, then reports the largest peak RSS among its processes.
MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
)


def replay(database_url: str, events: int, tmp: Path) -> dict[str, float]:
    env = {**os.environ, "TIMEBANK_DATABASE_URL": database_url}
    started = time.perf_counter()
    result = subprocess.run(
        # --wait: the server's projection worker may still be letting go of its locks.
        [sys.executable, "-c", MEASURE, str(TIMEBANK), "replay", "--wait", "60"],
        env=env, cwd=tmp, capture_output=True, text=True, check=True, timeout=1800,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    peak_kb, code = (int(word) for word in result.stdout.split()[-2:])
    if code != 0:
        raise RuntimeError(f"timebank replay exited {code}:\n{result.stderr[-3000:]}")
    return {
        "replay_events_per_s": round(events / elapsed),
        "replay_seconds": round(elapsed, 1),
        "replay_rss_mb": round(peak_kb / 1024, 1),
    }
