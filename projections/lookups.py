"""Where a page finds the stored rows it changes: exchanges and accounts.

In the page's own transaction (`Stored`), or, in a pipelined rebuild, in memory first
(`projections.pipeline`). Either way, one query per page for whatever is not at hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from projections.columns import ACCOUNT_COLUMNS, EXCHANGE_COLUMNS
from projections.store import Cursor

Row = dict[str, Any]
Write = tuple[str, list[tuple[Any, ...]]]  # a statement, and the rows to run it with

SELECT_EXCHANGES = f"SELECT {EXCHANGE_COLUMNS} FROM {{exchanges}} WHERE id IN (??)"  # noqa: S608
SELECT_ACCOUNTS = f"SELECT {ACCOUNT_COLUMNS} FROM {{accounts}} WHERE id IN (??)"  # noqa: S608
SELECT_ACCOUNT_MONTHS = (
    "SELECT account_id, month, gave, received FROM {account_months} WHERE account_id IN (??)"
)
SELECT_PAIR_MONTHS = "SELECT pair, month, exchanges FROM {pair_months} WHERE pair IN (??)"
# The organisations of the exchanges with a note an account took part in (for an erasure).
SELECT_NOTE_ORGANISATIONS = (
    "SELECT DISTINCT giver_org, receiver_org FROM {exchanges}"
    " WHERE (giver = ? OR receiver = ?) AND note IS NOT NULL"
)


class Lookups(Protocol):
    def exchanges(self, ids: Sequence[str]) -> dict[str, Row]: ...

    def accounts(self, ids: Sequence[str]) -> dict[str, Row]: ...

    def account_months(self, ids: Sequence[str]) -> dict[str, Any]:
        """Each account's participation counts by month (`projections.participation`)."""
        ...

    def pair_months(self, pairs: Sequence[str]) -> dict[str, Any]:
        """Each pair's net exchanges by month (`projections.periods`)."""
        ...

    def note_organisations(self, account_id: str) -> set[str]: ...


class Stored:
    """The rows as the page's own transaction sees them."""

    def __init__(self, cursor: Cursor) -> None:
        self.cursor = cursor

    def exchanges(self, ids: Sequence[str]) -> dict[str, Row]:
        return by_id(self.cursor.select_in(SELECT_EXCHANGES, sorted(ids)))

    def accounts(self, ids: Sequence[str]) -> dict[str, Row]:
        return by_id(self.cursor.select_in(SELECT_ACCOUNTS, sorted(ids)))

    def account_months(self, ids: Sequence[str]) -> dict[str, Any]:
        return by_account(self.cursor.select_in(SELECT_ACCOUNT_MONTHS, sorted(ids)))

    def pair_months(self, pairs: Sequence[str]) -> dict[str, Any]:
        return by_pair(self.cursor.select_in(SELECT_PAIR_MONTHS, sorted(pairs)))

    def note_organisations(self, account_id: str) -> set[str]:
        return stored_note_organisations(self.cursor, account_id)


def stored_note_organisations(cursor: Cursor, account_id: str) -> set[str]:
    rows = cursor.execute(SELECT_NOTE_ORGANISATIONS, (account_id, account_id)).all()
    return {org for row in rows for org in (row["giver_org"], row["receiver_org"])}


def by_id(rows: list[Row]) -> dict[str, Row]:
    return {row["id"]: row for row in rows}


def by_account(rows: list[Row]) -> dict[str, dict[str, list[int]]]:
    """`account_months` rows as {account: {month: [gave, received]}}."""
    found: dict[str, dict[str, list[int]]] = {}
    for row in rows:
        months = found.setdefault(row["account_id"], {})
        months[row["month"]] = [int(row["gave"]), int(row["received"])]
    return found


def by_pair(rows: list[Row]) -> dict[str, dict[str, int]]:
    """`pair_months` rows as {pair: {month: exchanges}}."""
    found: dict[str, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row["pair"], {})[row["month"]] = int(row["exchanges"])
    return found


def write_all(cursor: Cursor, writes: Sequence[Write]) -> None:
    for statement, rows in writes:
        cursor.executemany(statement, rows)
