"""Reading the change feed: one page of an organisation's changes after a position.

One range of the feed's primary key (or, for a poster, of its index by recording key), with
the page's exchanges and accounts joined by primary key: O(page) whatever the history.
"""

from __future__ import annotations

from typing import Any

from projections.columns import EXCHANGE_COLUMNS
from projections.exchange_reads import shaped
from projections.paging import check_limit, position_after
from projections.store import ViewStore

Row = dict[str, Any]

_EXCHANGE_FIELDS = [c.strip() for c in EXCHANGE_COLUMNS.split(",")]
_EXCHANGE_SELECT = ", ".join(f"e.{name} AS {name}" for name in _EXCHANGE_FIELDS)
# Only this module's constants go into the statement; every value is a parameter.
_SELECT = (
    "SELECT c.position AS change_position, c.type AS change_type,"  # noqa: S608
    " c.recorded_at AS change_recorded_at, c.exchange_id AS change_exchange,"
    " c.account_id AS change_account, c.status AS change_status,"
    " c.credit_limit AS change_credit_limit, c.max_balance AS change_max_balance,"
    f" {_EXCHANGE_SELECT}, a.organisation AS account_organisation,"
    " a.ref AS account_ref, a.kind AS account_kind"
    " FROM {changes} c LEFT JOIN {exchanges} e ON e.id = c.exchange_id"
    " LEFT JOIN {accounts} a ON a.id = c.account_id"
)


def changes(
    view: ViewStore, organisation: str, after: str | None, limit: int, key: str | None = None
) -> tuple[list[Row], str]:
    """Changes oldest first, and the cursor to ask for the next ones with (the last position
    served, or `after` again when nothing new has happened: a feed has no last page).
    With `key`, only the changes to exchanges that key recorded."""
    start = position_after(after)
    where = "c.organisation = ? AND c.position > ?"
    params: tuple[Any, ...] = (organisation, start)
    if key is not None:
        where += " AND c.recorded_by_key = ? AND c.exchange_id IS NOT NULL"
        params += (key,)
    rows = view.read(
        f"{_SELECT} WHERE {where} ORDER BY c.position LIMIT ?",
        (*params, check_limit(limit)),
    )
    found = [change_of(row) for row in rows]
    return found, str(found[-1]["position"] if found else start)


def change_of(row: Row) -> Row:
    change: Row = {
        "position": row["change_position"],
        "type": row["change_type"],
        "recorded_at": row["change_recorded_at"],
    }
    if row["change_exchange"] is not None:
        change["exchange"] = shaped(row, row["change_status"])
    if row["change_account"] is not None:
        change["account"] = {
            "id": row["change_account"],
            "organisation": row["account_organisation"],
            "ref": row["account_ref"],
            "kind": row["account_kind"],
            "status": row["change_status"],
            "credit_limit": row["change_credit_limit"],
            "max_balance": row["change_max_balance"],
        }
    return change
