"""Reads of organisations, accounts, balances (now or as they stood) and statements.

Each is one or two index look-ups: O(1), or O(page) for lists, whatever the history size.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.account import is_over_limit
from projections.columns import ACCOUNT_COLUMNS
from projections.gifts import entry_kind
from projections.paging import ResultPage, check_limit, page_of, position_after
from projections.store import ViewStore

Row = dict[str, Any]

_BY_SERVICE_DATE = (
    "SELECT SUM(minutes) AS balance, SUM(CASE WHEN gave = 1 THEN minutes ELSE 0 END) AS given,"
    " SUM(CASE WHEN gave = 0 THEN -minutes ELSE 0 END) AS received,"
    " MAX(CASE WHEN gave IN (0, 1) THEN service_date END) AS last_service_date"  # no gifts
    " FROM {statements} WHERE account_id = ? AND service_date <= ?"
)
TABLE_COLUMNS = (
    "id", "ref", "kind", "status", "balance", "given", "received", "credit_limit",
    "max_balance", "last_service_date",
)  # fmt: skip
_TABLE = (
    f"SELECT {', '.join(TABLE_COLUMNS)} FROM {{accounts}}"  # noqa: S608
    " WHERE organisation = ? AND id > ? ORDER BY id LIMIT ?"
)
_STATEMENT_COLUMNS = (
    "position, exchange_id, counterparty, gave, sign, minutes, balance, service_date,"
    " recorded_at, category"
)


def organisation(view: ViewStore, org: str) -> Row | None:
    rows = view.read(
        "SELECT id, name, credit_limit, max_balance, pending_expiry_days"
        " FROM {organisations} WHERE id = ?",
        (org,),
    )
    return rows[0] if rows else None


def account(
    view: ViewStore, account_id: str, at_position: int | None, as_of: date | None
) -> Row | None:
    """Now, or as the ledger recorded it at a position or by the end of a UTC day."""
    row = _stored(view, account_id)
    if row is None:
        return None
    if as_of is not None:
        at_position = min(position_of_day(view, as_of), at_position or 2**62)
    if at_position is not None:
        return _as_it_stood(view, row, at_position)
    return _shaped(row)


def account_by_service_date(view: ViewStore, account_id: str, last_day: date) -> Row | None:
    """The figures of the exchanges with a service date up to `last_day`, whenever they were
    recorded: after a migration, the history by its own dates. One indexed range."""
    row = _stored(view, account_id)
    if row is None:
        return None
    sums = view.read(_BY_SERVICE_DATE, (account_id, last_day.isoformat()))[0]
    return _shaped(
        {
            **row,
            **{key: sums[key] or 0 for key in ("balance", "given", "received")},
            "last_service_date": sums["last_service_date"],
        }
    )


def _stored(view: ViewStore, account_id: str) -> Row | None:
    rows = view.read(
        f"SELECT {ACCOUNT_COLUMNS} FROM {{accounts}} WHERE id = ?",  # noqa: S608
        (account_id,),
    )
    return rows[0] if rows else None


def account_now(view: ViewStore, account_id: str, projections: list[str]) -> tuple[int, Row | None]:
    """The account and the views' position in one statement: a balance read is the busiest
    read there is, and one round trip instead of two is most of its cost. Within a single
    statement both come from one snapshot of the views."""
    names = ", ".join("?" * len(projections))
    rows = view.read(
        f"SELECT p.position AS as_of_position, {ACCOUNT_COLUMNS}"  # noqa: S608
        f" FROM (SELECT coalesce(min(position), 0) AS position FROM {{projection_tracking}}"
        f" WHERE name IN ({names})) p LEFT JOIN {{accounts}} ON id = ?",
        (*projections, account_id),
    )
    row = rows[0]
    position = int(row.pop("as_of_position"))
    return position, (_shaped(row) if row["id"] is not None else None)


def position_of_day(view: ViewStore, day: date) -> int:
    """The last position recorded on or before the end of this UTC day."""
    rows = view.read(
        "SELECT position FROM {day_positions} WHERE day <= ? ORDER BY day DESC LIMIT 1",
        (day.isoformat(),),
    )
    return int(rows[0]["position"]) if rows else 0


def _as_it_stood(view: ViewStore, row: Row, position: int) -> Row | None:
    if position < row["opened_position"]:
        return None
    moves = view.read(
        "SELECT balance, given, received, last_service_date FROM {statements}"
        " WHERE account_id = ? AND position <= ? ORDER BY position DESC LIMIT 1",
        (row["id"], position),
    )
    nothing = {"balance": 0, "given": 0, "received": 0, "last_service_date": None}
    return _shaped({**row, **(moves[0] if moves else nothing)})


def _shaped(row: Row) -> Row:
    """Over the limit is judged against the limits that apply now."""
    balance, cap = row["balance"], row["max_balance"]
    over = is_over_limit(balance, row["credit_limit"], cap)
    return {
        "id": row["id"],
        "organisation": row["organisation"],
        "ref": row["ref"],
        "kind": row["kind"],
        "status": row["status"],
        "credit_limit": row["credit_limit"],
        "max_balance": cap,
        "balance": balance,
        "given": row["given"],
        "received": row["received"],
        "over_limit": over,
        "last_activity": row["last_service_date"] or None,  # '': a gift's row, none before
    }


def accounts(view: ViewStore, org: str, after: str | None, limit: int) -> ResultPage:
    rows = view.read(
        f"SELECT {ACCOUNT_COLUMNS} FROM {{accounts}}"  # noqa: S608
        " WHERE organisation = ? AND id > ? ORDER BY id LIMIT ?",
        (org, after or "", check_limit(limit) + 1),
    )
    items, next_ = page_of(rows, limit, "id")
    return [_shaped(r) for r in items], next_


def account_table(
    view: ViewStore, org: str, after: str | None, limit: int
) -> tuple[list[tuple[Any, ...]], str | None]:
    """The organisation's accounts ordered by id, as plain tuples of `TABLE_COLUMNS` (a
    download of many rows builds no dict a row), and the cursor of the next page while
    pages come full."""
    rows = view.read_tuples(_TABLE, (org, after or "", limit))
    return rows, (str(rows[-1][0]) if len(rows) == limit else None)


def statement(view: ViewStore, account_id: str, after: str | None, limit: int) -> ResultPage:
    rows = view.read(
        f"SELECT {_STATEMENT_COLUMNS} FROM {{statements}}"  # noqa: S608
        " WHERE account_id = ? AND position > ? ORDER BY position LIMIT ?",
        (account_id, position_after(after), check_limit(limit) + 1),
    )
    items, next_ = page_of(rows, limit, "position")
    return [_entry(r) for r in items], next_


def _entry(row: Row) -> Row:
    return {
        "exchange_id": row["exchange_id"],
        "counterparty": row["counterparty"],
        "minutes": row["minutes"],
        "balance": row["balance"],
        "service_date": row["service_date"],
        "recorded_at": row["recorded_at"],
        "category": row["category"],
        "kind": entry_kind(row["gave"], row["sign"]),
        "position": row["position"],
    }
