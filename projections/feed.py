"""The change feed: every change that concerns an organisation, keyed by (organisation, log
position), so a partner follows its exchanges and accounts from a cursor, oldest first.

A change row holds what the change itself decided (its type, and the status or limits it
left); the facts that never change after recording (parties, minutes, dates, note, ref) are
joined from the exchanges and accounts views when read. So a feed read is one index range
and a join of a page, and whatever later scrubs those views (erasure) scrubs the feed too.
An exchange across two organisations makes one row in each organisation's feed, and an
erasure (`account.erased`) one in the account's organisation's and in that of every other
organisation it shared an exchange with a note with: their copies of those notes are gone too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.account import account_id_in
from domain.rules import organisation_of
from projections.events import LogEvent
from projections.lookups import Lookups, Write
from projections.moves import EXCHANGE_STATUS_AFTER, RECORDED, PreparedPage, exchange_id

Row = dict[str, Any]

TABLES = (
    "CREATE TABLE IF NOT EXISTS {changes} (organisation TEXT NOT NULL,"
    " position BIGINT NOT NULL, type TEXT NOT NULL, recorded_at TEXT NOT NULL,"
    " exchange_id TEXT, account_id TEXT, status TEXT, credit_limit BIGINT,"
    " max_balance BIGINT, recorded_by_key TEXT, PRIMARY KEY (organisation, position))",
    # What a poster may see: the changes to the exchanges its key recorded.
    "CREATE INDEX IF NOT EXISTS changes_by_key ON {changes}"
    " (organisation, recorded_by_key, position) WHERE exchange_id IS NOT NULL",
)
DROPS = ("changes",)

CHANGE_TYPES = {
    RECORDED: "exchange.recorded",
    "Exchange.Confirmed": "exchange.confirmed",
    "Exchange.Rejected": "exchange.rejected",
    "Exchange.Expired": "exchange.expired",
    "Exchange.Reversed": "exchange.reversed",
    "Account.Opened": "account.opened",
    "Account.LimitsChanged": "account.limits_changed",
    "Account.Closed": "account.closed",
    # The account's notes, reasons and display name were erased; the account stays as it was.
    "Account.PersonalDataErased": "account.erased",
}
STATUS_AFTER = {
    **EXCHANGE_STATUS_AFTER,
    "Account.Opened": "open",
    "Account.Closed": "closed",
}
_INSERT = (
    "INSERT INTO {changes} (organisation, position, type, recorded_at, exchange_id,"
    " account_id, status, credit_limit, max_balance, recorded_by_key)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def prepare(page: PreparedPage, lookups: Lookups) -> list[Write]:
    """One row per organisation a change concerns, in log order."""
    rows: list[tuple[Any, ...]] = []
    for event in page.events:
        make = _MAKERS.get(event.type.partition(".")[0])
        if make is not None and event.type in CHANGE_TYPES:
            rows.extend(make(page, event, lookups))
    return [(_INSERT, rows)]


def _exchange_change(page: PreparedPage, event: LogEvent, _: Lookups) -> list[tuple[Any, ...]]:
    exchange = page.exchanges[exchange_id(event)]
    # The row in `page.exchanges` stands after the whole page; only the status differs
    # from one change to the next, and each change says what it left.
    status = event.data["status"] if event.type == RECORDED else STATUS_AFTER[event.type]
    key = exchange.get("recorded_by_key")
    parties = dict.fromkeys((exchange["giver_org"], exchange["receiver_org"]))
    type_, at = CHANGE_TYPES[event.type], event.recorded_at
    return [
        (org, event.position, type_, at, exchange["id"], None, status, None, None, key)
        for org in parties
    ]


def _account_change(page: PreparedPage, event: LogEvent, lookups: Lookups) -> list[tuple[Any, ...]]:
    account_id = account_id_in(event.stream)
    # As the balances left it just after this change: a limit changed later in the page is
    # not this change's, and a closed account whose limits change stays closed.
    after = page.account_states.get(event.position) or page.accounts[account_id]
    type_ = CHANGE_TYPES[event.type]
    status = STATUS_AFTER.get(event.type) or after["status"]
    credit_limit, max_balance = after["credit_limit"], after["max_balance"]
    at = event.recorded_at
    orgs = [organisation_of(account_id)]
    if type_ == "account.erased":
        orgs += sorted(_note_organisations(page, lookups, account_id) - set(orgs))
    return [
        (org, event.position, type_, at, None, account_id, status, credit_limit, max_balance, None)
        for org in orgs
    ]


def _note_organisations(page: PreparedPage, lookups: Lookups, account_id: str) -> set[str]:
    """Every organisation of an exchange with a note the account took part in: those stored,
    and those of this page (an erasure is rare: one query for it is cheap)."""
    here = [
        e for e in page.exchanges.values()
        if account_id in (e["giver"], e["receiver"]) and e.get("note") is not None
    ]  # fmt: skip
    found = lookups.note_organisations(account_id)
    return found | {org for e in here for org in (e["giver_org"], e["receiver_org"])}


_MAKERS: dict[str, Callable[[PreparedPage, LogEvent, Lookups], list[tuple[Any, ...]]]] = {
    "Exchange": _exchange_change,
    "Account": _account_change,
}
