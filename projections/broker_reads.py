"""Reads for the brokers' web pages, over the same views as `ReadModels`.

Lists are keyset-paged (the cursor is the last row's sort key and id), so a page costs a
page of rows from an index walk plus the rows its filters skip. Only sorting by ref walks
an existing index, (organisation, id); the other sort keys sort the organisation's accounts
(never their history). Partners group one account's statement rows in the period, as
reciprocity does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.errors import InvalidRequest
from projections.balances import ACCOUNT_COLUMNS
from projections.derived_sql import OVER_LIMIT
from projections.gifts import entry_kind
from projections.paging import ResultPage, check_limit, page_of, position_after
from projections.store import ViewStore

Row = dict[str, Any]
INT64_MAX = 2**63 - 1
SORT_KEYS = {  # name -> SQL expression; ties are broken by `id`, ascending either way
    "ref": "id",
    "balance": "balance",
    "given": "given",
    "received": "received",
    "last_activity": "COALESCE(last_service_date, '')",
}
SHOW = {
    "all": "1 = 1",
    "over-limit": OVER_LIMIT,
    "only-gives": "(given > 0 AND received = 0)",
    "only-receives": "(received > 0 AND given = 0)",
    "inactive": "(given = 0 AND received = 0)",
}
_STATEMENT = (
    "SELECT position, exchange_id, counterparty, gave, sign, minutes, balance, service_date,"
    " recorded_at, category FROM {statements}"
    " WHERE account_id = ? AND position < ? ORDER BY position DESC LIMIT ?"
)
_PARTNERS = """
SELECT counterparty, SUM(CASE WHEN gave = 1 THEN minutes ELSE 0 END) AS given,
  SUM(CASE WHEN gave = 0 THEN -minutes ELSE 0 END) AS received, SUM(sign) AS exchanges
FROM {statements} WHERE account_id = ? AND service_date BETWEEN ? AND ?
GROUP BY counterparty HAVING SUM(sign) > 0
ORDER BY SUM(minutes * (2 * gave - 1)) DESC, counterparty LIMIT ?
"""


@dataclass(frozen=True)
class AccountQuery:
    organisation: str
    prefix: str = ""
    sort: str = "ref"
    descending: bool = False
    show: str = "all"
    after: str | None = None
    limit: int = 50


def accounts(view: ViewStore, query: AccountQuery) -> ResultPage:
    """The organisation's accounts whose ref starts with `prefix` (any case), sorted."""
    if query.sort not in SORT_KEYS or query.show not in SHOW:
        raise InvalidRequest("unknown sort or filter", field="sort")
    key, op = SORT_KEYS[query.sort], "<" if query.descending else ">"
    direction = "DESC" if query.descending else "ASC"
    where, params = [f"organisation = ? AND {SHOW[query.show]}"], [query.organisation]
    if query.prefix:
        where.append("LOWER(ref) LIKE ? ESCAPE '!'")
        params.append(_escaped(query.prefix.lower()) + "%")
    by_id = query.sort == "ref"  # one walk of the (organisation, id) index
    if query.after:
        value, last_id = _cursor(query.after, query.sort)
        where.append(f"id {op} ?" if by_id else f"({key} {op} ? OR ({key} = ? AND id > ?))")
        params += [last_id] if by_id else [value, value, last_id]
    order = f"id {direction}" if by_id else f"{key} {direction}, id"
    rows = view.read(
        f"SELECT {ACCOUNT_COLUMNS}, {key} AS sort_key FROM {{accounts}}"  # noqa: S608
        f" WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?",
        (*params, check_limit(query.limit) + 1),
    )
    items, more = page_of(rows, query.limit, "id")
    cursor = f"{items[-1]['sort_key']}~{items[-1]['id']}" if more else None
    return items, cursor


def _escaped(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _cursor(after: str, sort: str) -> tuple[Any, str]:
    value, separator, last_id = after.rpartition("~")
    if not separator:
        raise InvalidRequest("after must be the `next` of a previous page", field="after")
    if sort in ("balance", "given", "received"):
        try:
            number = int(value)
        except ValueError:
            number = INT64_MAX + 1
        if not -INT64_MAX - 1 <= number <= INT64_MAX:  # the database's integers: 64 bits
            raise InvalidRequest("after must be the `next` of a previous page", field="after")
        return number, last_id
    return value, last_id


def latest_statement(
    view: ViewStore, account_id: str, before: str | None, limit: int
) -> ResultPage:
    """Statement entries newest first; `before` is the position of the last entry seen."""
    start = position_after(before) if before else 2**62
    rows = view.read(_STATEMENT, (account_id, start, check_limit(limit) + 1))
    items, next_ = page_of(rows, limit, "position")
    for row in items:
        row["kind"] = entry_kind(row.pop("gave"), row.pop("sign"))
    return items, next_


def partners(
    view: ViewStore, account_id: str, start: date | None, end: date | None, limit: int
) -> list[Row]:
    """Who the account exchanged with in the period: minutes each way, exchanges (net of
    reversals), those it gave most to first."""
    span = (start.isoformat() if start else "0000-01-01", end.isoformat() if end else "9999-12-31")
    rows = view.read(_PARTNERS, (account_id, *span, check_limit(limit)))
    return [{**row, "exchanges": int(row["exchanges"])} for row in rows]


def organisations(view: ViewStore, after: str | None, limit: int) -> ResultPage:
    """Every organisation by id, for auditors choosing one."""
    rows = view.read(
        "SELECT id, name, accounts FROM {organisations} WHERE id > ? ORDER BY id LIMIT ?",
        (after or "", check_limit(limit) + 1),
    )
    return page_of(rows, limit, "id")
