"""`timebank export --format csv`: exchanges and balances as tables for spreadsheets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from api.spreadsheets import Tables, all_events
from ledger import Ledger
from ledger.texts import note_place


def write_spreadsheets(ledger: Ledger, directory: Path, organisation: str | None) -> list[Path]:
    tables = Tables(all_events(ledger.recorder), ledger.today())
    _open_notes(ledger, list(tables.exchanges.values()))
    return tables.write(directory, organisation)


def _open_notes(ledger: Ledger, rows: list[dict[str, Any]]) -> None:
    """The spreadsheets are the organisations' own records: notes in clear, erased ones empty."""
    places = [(row["note"], note_place(str(row["exchange_id"]))) for row in rows]
    for row, (text, _) in zip(rows, ledger.texts.open_all(places), strict=True):
        row["note"] = text


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
