"""`make bench`: every scenario, a table on stdout, and bench/results/latest.json.

`python -m bench --quick` runs the same code on tiny sizes (the test suite does this).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from bench.scenarios import SIZES, Results, run_all

RESULTS = Path(__file__).parent / "results"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the code runs")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--only", nargs="*", help="run only these scenarios")
    args = parser.parse_args()
    sizes = SIZES["quick" if args.quick else "full"]
    started = time.time()
    results: Results = run_all(sizes, only=args.only)
    results["machine"] = {
        "cpus": _cpus(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "seconds": round(time.time() - started, 1),
        "sizes": "quick" if args.quick else "full",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"\nwritten to {args.out}")
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    raise SystemExit(main())
