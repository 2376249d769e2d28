"""`timebank export-csv --out-dir DIR [--organisation ORG]`: tables for spreadsheets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from api.spreadsheets import Tables, all_events
from ledger import Ledger


def register(commands: Any) -> None:
    """Add `timebank export-csv` to the `timebank` parser."""
    parser = commands.add_parser(
        "export-csv",
        help="write exchanges.csv and balances.csv for spreadsheets",
        description="Write DIR/exchanges.csv (every exchange with its current status) and "
        "DIR/balances.csv (every account's balance, given and received), in minutes and "
        "hours. For the audit export of every event, see `timebank export`.",
    )
    parser.add_argument("--out-dir", required=True, type=Path, metavar="DIR")
    parser.add_argument(
        "--organisation", metavar="ORG", help="only exchanges with a party in ORG, ORG's accounts"
    )
    parser.set_defaults(handler=run)


def write_spreadsheets(ledger: Ledger, directory: Path, organisation: str | None) -> list[Path]:
    return Tables(all_events(ledger.recorder), ledger.today()).write(directory, organisation)


def run(args: argparse.Namespace) -> int:
    ledger = Ledger()
    try:
        paths = write_spreadsheets(ledger, args.out_dir, args.organisation)
    finally:
        ledger.close()
    for path in paths:
        print(f"wrote {path}", file=sys.stderr)
    return 0
