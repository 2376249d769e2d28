"""One member's statement for a period, for printing: opening balance, every entry with a
service date in the period, closing balance.

By service date, as members count their time: an entry for work done in March is on the
March statement whenever it was recorded, and a reversal sits beside the exchange it
reverses. The opening balance sums the account's entries before the period (through the
(account, service date) index), each entry's balance runs on from it, and the closing
balance is where they end. At most `limit` entries are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from projections.gifts import entry_kind
from projections.store import ViewStore

Row = dict[str, Any]
MAX_ENTRIES = 5000
FIRST, LAST = "0000-01-01", "9999-12-31"

_BEFORE = (
    "SELECT COALESCE(SUM(minutes), 0) AS minutes FROM {statements}"
    " WHERE account_id = ? AND service_date < ?"
)
_ENTRIES = (
    "SELECT position, exchange_id, counterparty, gave, sign, minutes, service_date,"
    " recorded_at, category FROM {statements}"
    " WHERE account_id = ? AND service_date BETWEEN ? AND ? ORDER BY service_date, position"
    " LIMIT ?"
)


@dataclass(frozen=True)
class PeriodStatement:
    opening: int
    closing: int
    entries: list[Row] = field(default_factory=list)
    complete: bool = True  # False when the period held more than `limit` entries


def period_statement(
    view: ViewStore, account_id: str, start: date | None, end: date | None,
    limit: int = MAX_ENTRIES,
) -> PeriodStatement:  # fmt: skip
    low, high = (start.isoformat() if start else FIRST), (end.isoformat() if end else LAST)
    with view.consistent() as read:
        opening = int(read(_BEFORE, (account_id, low))[0]["minutes"])
        rows = read(_ENTRIES, (account_id, low, high, limit + 1))
    balance, entries = opening, []
    for row in rows[:limit]:
        balance += int(row["minutes"])
        kind = entry_kind(row.pop("gave"), row.pop("sign"))
        entries.append({**row, "kind": kind, "balance": balance})
    return PeriodStatement(opening, balance, entries, len(rows) <= limit)
