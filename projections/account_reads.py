"""Reads of organisations, accounts, balances (now or as they stood) and statements.

Each is one or two index look-ups: O(1), or O(page) for lists, whatever the history size.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.columns import ACCOUNT_COLUMNS
from projections.gifts import entry_kind
from projections.paging import Page, check_limit, page_of, position_after
from projections.store import ViewStore

Row = dict[str, Any]

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
    rows = view.read(
        f"SELECT {ACCOUNT_COLUMNS} FROM {{accounts}} WHERE id = ?",  # noqa: S608
        (account_id,),
    )
    if not rows:
        return None
    row = rows[0]
    if as_of is not None:
        at_position = min(position_of_day(view, as_of), at_position or 2**62)
    if at_position is not None:
        return _as_it_stood(view, row, at_position)
    return _shaped(row)


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
        "SELECT balance, given, received, recorded_at FROM {statements}"
        " WHERE account_id = ? AND position <= ? ORDER BY position DESC LIMIT 1",
        (row["id"], position),
    )
    last = moves[0] if moves else {"balance": 0, "given": 0, "received": 0, "recorded_at": None}
    then = {**row, **last, "last_activity": last["recorded_at"]}
    return _shaped(then)


def _shaped(row: Row) -> Row:
    """Over the limit is judged against the limits that apply now."""
    balance, cap = row["balance"], row["max_balance"]
    over = balance < -row["credit_limit"] or (cap is not None and balance > cap)
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
        "last_activity": row["last_activity"],
    }


def accounts(view: ViewStore, org: str, after: str | None, limit: int) -> Page:
    rows = view.read(
        f"SELECT {ACCOUNT_COLUMNS} FROM {{accounts}}"  # noqa: S608
        " WHERE organisation = ? AND id > ? ORDER BY id LIMIT ?",
        (org, after or "", check_limit(limit) + 1),
    )
    items, next_ = page_of(rows, limit, "id")
    return [_shaped(r) for r in items], next_


def statement(view: ViewStore, account_id: str, after: str | None, limit: int) -> Page:
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
