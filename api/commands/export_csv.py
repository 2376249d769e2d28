"""`timebank export --format csv`: exchanges and balances as tables for spreadsheets."""

from __future__ import annotations

import sys
from pathlib import Path

from api.spreadsheets import Tables, all_events
from ledger import Ledger


def write_spreadsheets(ledger: Ledger, directory: Path, organisation: str | None) -> list[Path]:
    return Tables(all_events(ledger.recorder), ledger.today()).write(directory, organisation)


def export_spreadsheets(directory: Path, organisation: str | None) -> int:
    """`timebank export --format csv --out DIR [--organisation ORG]`."""
    ledger = Ledger()
    try:
        paths = write_spreadsheets(ledger, directory, organisation)
    finally:
        ledger.close()
    for path in paths:
        print(f"wrote {path}", file=sys.stderr)
    return 0
