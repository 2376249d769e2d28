"""`timebank export --format csv`: exchanges, balances and gifts as CSV files for spreadsheets.

The tables are folded in projections/spreadsheets.py; this writes them. Text cells that a
spreadsheet would run as a formula (=, +, -, @ first) are written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger import Ledger
from ledger.files import open_private
from ledger.texts import Place, gift_note_place, note_place
from projections.spreadsheets import (
    BALANCE_COLUMNS,
    EXCHANGE_COLUMNS,
    GIFT_COLUMNS,
    Tables,
    all_events,
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_spreadsheets(ledger: Ledger, directory: Path, organisation: str | None) -> list[Path]:
    """`exchanges.csv`, `balances.csv` and `gifts.csv` in `directory`, optionally for one
    organisation."""
    tables = Tables(all_events(ledger.recorder), ledger.today())
    _open_notes(ledger, list(tables.exchanges.values()), "exchange_id", note_place)
    _open_notes(ledger, list(tables.gifts.values()), "gift_id", gift_note_place)
    exchanges, accounts, gifts = tables.rows(organisation)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "exchanges.csv", directory / "balances.csv", directory / "gifts.csv"]
    _write(paths[0], EXCHANGE_COLUMNS, exchanges)
    _write(paths[1], BALANCE_COLUMNS, accounts)
    _write(paths[2], GIFT_COLUMNS, gifts)
    return paths


def _open_notes(
    ledger: Ledger, rows: list[dict[str, Any]], id_column: str, place_of: Callable[[str], Place]
) -> None:
    """The spreadsheets are the organisations' own records: notes in clear, erased ones empty."""
    places = [(row["note"], place_of(str(row[id_column]))) for row in rows]
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


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with os.fdopen(open_private(path), "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row[column]) for column in columns])


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
