"""`python -m bench.profile post|read|batch`: where the API process spends its time under load.

Starts `timebank serve` on a fresh Postgres schema, drives it as the benchmark does, and
samples the API process with py-spy meanwhile (`--gil`: only the thread holding the
interpreter lock, so the figures are shares of Python's CPU time, not of waiting). Prints
the load's figures and the share of samples per part of the request path, and keeps the raw
samples (`--raw`) for a flame graph or a closer look.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from bench import http, server
from bench.pg import default_target

# The first rule a sample matches names the part it is counted in. A marker matches anywhere
# in the stack; one with a leading "@" only in its innermost frame (every request's stack
# runs through uvicorn and the middleware, so those count only the time spent in them).
PARTS: list[tuple[str, str]] = [
    ("database: insert", "insert_events"),
    ("ledger: check and apply an exchange", "_prepare"),
    ("ledger: save (events to rows)", "LedgerBase.save"),
    ("ledger: group commit, other", "GroupCommit"),
    ("ledger: batch", "record_batch.<locals>.attempt"),
    ("key checks", "KeyChecks"),
    ("read models", "projections/"),
    ("FastAPI: dependencies (body, key, checks)", "solve_dependencies"),
    ("FastAPI: response", "serialize_response"),
    ("endpoint", "api/routers/"),
    ("uvicorn: HTTP parsing and writing", "@uvicorn/"),
    ("middleware", "@api/middleware.py"),
    ("middleware", "@api/body_limit.py"),
    ("Starlette and FastAPI: routing, requests, responses", "@starlette/"),
    ("Starlette and FastAPI: routing, requests, responses", "@fastapi/"),
    ("event loop", "@asyncio/"),
    ("threads handing over work", "@threading.py"),
    ("threads handing over work", "@concurrent/futures"),
]


def summarise(lines: Iterable[str]) -> list[tuple[str, float]]:
    """Shares of samples per part, largest first, from py-spy's raw (collapsed) output."""
    counts: Counter[str] = Counter()
    for line in lines:
        stack, _, number = line.rstrip().rpartition(" ")
        if not stack or not number.isdigit():
            continue
        counts[_part(stack)] += int(number)
    total = sum(counts.values()) or 1
    return [(part, count / total) for part, count in counts.most_common()]


def _part(stack: str) -> str:
    innermost = stack.rpartition(";")[2]
    for name, marker in PARTS:
        if marker[1:] in innermost if marker.startswith("@") else marker in stack:
            return name
    return "other"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("load", choices=["post", "read", "batch"])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--raw", type=Path, default=Path("profile.txt"))
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    target = default_target()
    with (
        target.schema() as url,
        tempfile.TemporaryDirectory() as tmp,
        server.running(url, workers=1, tmp=Path(tmp)) as running,
    ):
        key = http.set_up(running)
        if args.load == "read":
            _, position = http.post_batches(running, key, 3)
            http.wait_for_projections(running, key, position)
        record = [spy, "record", "--pid", str(running.process.pid), "--gil", "--nonblocking",
                  "--rate", "200", "--duration", str(args.seconds), "--format", "raw",
                  "--output", str(args.raw)]  # fmt: skip
        with subprocess.Popen(record, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE):
            print(_drive(running, key, args.load, args.seconds))
    for part, share in summarise(args.raw.read_text().splitlines()):
        print(f"{share:7.1%}  {part}")
    print(f"raw samples: {args.raw}")
    return 0


def _drive(running: server.Server, key: str, load: str, seconds: int) -> str:
    if load == "batch":
        rate, _ = http.post_batches(running, key, max(1, seconds))
        return f"batches of 1,000: {rate:,.0f} exchanges/s"
    figures = (http.post_load if load == "post" else http.read_load)(running, key, seconds)
    return f"{figures.per_s:,.0f} requests/s, p50 {figures.p50_ms} ms, p99 {figures.p99_ms} ms"


if __name__ == "__main__":
    raise SystemExit(main())
