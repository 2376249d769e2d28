"""Reads of exchanges: one by id, lists oldest first, and those awaiting an organisation.

A pending exchange past its expiry reads as expired from the day after `expires_on`,
whether or not anyone has recorded the expiry yet. Each list is driven by the index of its
most selective filter (account, organisation, recording key, status) and reads one page
from it; the other filters are checked on the rows read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.exchange import status_on
from ledger.sealing import PREFIX as SEALED_PREFIX
from projections.columns import EXCHANGE_COLUMNS
from projections.derived_sql import EXPIRED_BY, STILL_PENDING
from projections.paging import ResultPage, check_limit, page_of, position_after
from projections.store import ViewStore

Row = dict[str, Any]
Clause = tuple[str, tuple[Any, ...]]  # SQL with `?`, and its parameters

_SELECT = f"SELECT {EXCHANGE_COLUMNS} FROM {{exchanges}}"  # noqa: S608


def exchange(view: ViewStore, exchange_id: str, today: date) -> Row | None:
    rows = view.read(f"{_SELECT} WHERE id = ?", (exchange_id,))
    return _shaped(rows[0], today) if rows else None


def sealed_notes(view: ViewStore, account_id: str, key_ids: set[str]) -> int:
    """The account's exchanges whose note is sealed under one of its keys `key_ids`: the
    envelope names the giver's key, then the receiver's (ledger/sealing.py)."""
    rows = view.read(
        "SELECT giver, note FROM {exchanges} WHERE (giver = ? OR receiver = ?) AND note LIKE ?",
        (account_id, account_id, f"{SEALED_PREFIX}%"),
    )
    own = [str(r["note"]).split(".")[1 if r["giver"] == account_id else 2] for r in rows]
    return sum(1 for key_id in own if key_id in key_ids)


def _shaped(row: Row, today: date) -> Row:
    status = status_on(row["status"], row["expires_on"], today)
    return shaped(row, status)


def shaped(row: Row, status: str) -> Row:
    """An exchange as `GET /v1/exchanges/{id}` answers it, with the status given."""
    return {
        "id": row["id"],
        "status": status,
        "giver": row["giver"],
        "receiver": row["receiver"],
        "minutes": row["minutes"],
        "service_date": row["service_date"],
        "category": row["category"],
        "note": row["note"],
        "recorded_at": row["recorded_at"],
        "recorded_by": row["recorded_by"],
        "recorded_by_key": row["recorded_by_key"],
        "awaiting": row["awaiting"],
        "expires_on": row["expires_on"],
        "position": row["position"],
    }


def pending(view: ViewStore, org: str, after: str | None, limit: int, today: date) -> ResultPage:
    rows = view.read(
        f"{_SELECT} WHERE awaiting = ? AND {STILL_PENDING}"
        " AND position > ? ORDER BY position LIMIT ?",
        (org, today.isoformat(), position_after(after), check_limit(limit) + 1),
    )
    items, next_ = page_of(rows, limit, "position")
    return [_shaped(r, today) for r in items], next_


def exchanges(
    view: ViewStore,
    today: date,
    *,
    account: str | None,
    status: str | None,
    organisation: str | None,
    recorded_by_key: str | None,
    after: str | None,
    limit: int,
) -> ResultPage:
    check_limit(limit)
    drivers: list[Clause]
    filters: list[Clause] = [("position > ?", (position_after(after),))]
    if status is not None:
        filters.append(_status_filter(status, today))
    if recorded_by_key is not None:
        filters.append(("recorded_by_key = ?", (recorded_by_key,)))
    if account is not None:
        if organisation is not None:
            filters.append(("(giver_org = ? OR receiver_org = ?)", (organisation,) * 2))
        drivers = [("giver = ?", (account,)), ("receiver = ?", (account,))]
    elif organisation is not None:
        drivers = [("giver_org = ?", (organisation,))]
        drivers.append(("receiver_org = ? AND giver_org <> receiver_org", (organisation,)))
    else:
        drivers = [("1 = 1", ())]
    rows = _union(view, drivers, filters, limit + 1)
    items, next_ = page_of(rows, limit, "position")
    return [_shaped(r, today) for r in items], next_


def _status_filter(status: str, today: date) -> Clause:
    day = today.isoformat()
    if status == "pending":
        return STILL_PENDING, (day,)
    if status == "expired":
        return EXPIRED_BY, (day,)
    return "status = ?", (status,)


def _union(
    view: ViewStore,
    drivers: list[Clause],
    filters: list[Clause],
    limit: int,
) -> list[Row]:
    """One ordered, limited index read per driver, merged: each reads at most a page."""
    where = " AND ".join(f"({clause})" for clause, _ in filters)
    shared = tuple(p for _, params in filters for p in params)
    parts, params = [], []
    for n, (clause, driver_params) in enumerate(drivers):
        # Clauses are this module's constants; every value is a parameter.
        parts.append(
            f"SELECT * FROM ({_SELECT} WHERE {clause} AND {where}"  # noqa: S608
            f" ORDER BY position LIMIT ?) AS d{n}"
        )
        params += [*driver_params, *shared, limit]
    statement = " UNION ALL ".join(parts) + " ORDER BY position LIMIT ?"
    return view.read(statement, (*params, limit))
