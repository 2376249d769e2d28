"""Organisations, accounts with their balances, and statements: one row per balance move.

A statement row carries the running balance, given and received after it, so the figures
at any past position are one index look-up away. It also says which side the account was on
(`gave`), whether the move completes or reverses an exchange (`sign`), the partner and the
service date: indexed by account and by organisation on the service date, the statement
rows are the per-(account, partner, day) facts that reciprocity and summaries count.
`day_positions` maps each UTC day to its last position, turning an `as_of` date into one.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from operator import attrgetter, itemgetter
from typing import Any

from domain.account import account_id_in
from domain.organisation import organisation_id_in
from projections import gifts
from projections.balance_moves import move as move_balance
from projections.columns import ACCOUNT_COLUMNS as ACCOUNT_COLUMNS  # others read it here
from projections.events import LogEvent
from projections.gifts import GiftMove
from projections.lookups import Lookups, Write
from projections.moves import Move, PreparedPage

Row = dict[str, Any]

TABLES = (
    "CREATE TABLE IF NOT EXISTS {organisations} (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " credit_limit BIGINT NOT NULL, max_balance BIGINT, pending_expiry_days INTEGER NOT NULL,"
    " accounts BIGINT NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS {accounts} (id TEXT PRIMARY KEY, organisation TEXT NOT NULL,"
    " ref TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, credit_limit BIGINT NOT NULL,"
    " max_balance BIGINT, balance BIGINT NOT NULL, given BIGINT NOT NULL,"
    " received BIGINT NOT NULL, last_service_date TEXT, opened_position BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS accounts_by_organisation ON {accounts} (organisation, id)",
    "CREATE TABLE IF NOT EXISTS {statements} (account_id TEXT NOT NULL,"
    " position BIGINT NOT NULL, exchange_id TEXT NOT NULL, counterparty TEXT NOT NULL,"
    " organisation TEXT NOT NULL, gave SMALLINT NOT NULL, sign SMALLINT NOT NULL,"
    " minutes BIGINT NOT NULL, balance BIGINT NOT NULL, given BIGINT NOT NULL,"
    " received BIGINT NOT NULL, service_date TEXT NOT NULL, recorded_at TEXT NOT NULL,"
    " category TEXT, last_service_date TEXT NOT NULL)",
    # A unique index rather than a primary key: nothing upserts statements, so a rebuild
    # can append without it and build it once at the end.
    "CREATE UNIQUE INDEX IF NOT EXISTS statements_by_position"
    " ON {statements} (account_id, position)",
    "CREATE INDEX IF NOT EXISTS statements_by_service_date"
    " ON {statements} (account_id, service_date)",
    "CREATE INDEX IF NOT EXISTS statements_by_organisation"
    " ON {statements} (organisation, service_date)",
    "CREATE TABLE IF NOT EXISTS {day_positions} (day TEXT PRIMARY KEY, position BIGINT NOT NULL)",
)
DROPS = ("organisations", "accounts", "statements", "day_positions")
# Account.PersonalDataErased changes no balance; it is followed for the change feed.
TYPES = frozenset(
    {
        "Organisation.Registered",
        "Account.Opened",
        "Account.LimitsChanged",
        "Account.Closed",
        "Account.PersonalDataErased",
    }
)

_ACCOUNT_FIELDS = tuple(c.strip() for c in ACCOUNT_COLUMNS.split(","))
_account_values = itemgetter(*_ACCOUNT_FIELDS)
_INSERT_ACCOUNT = (
    f"INSERT INTO {{accounts}} ({ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
)
_UPSERT_ACCOUNT = (
    f"{_INSERT_ACCOUNT} ON CONFLICT (id) DO UPDATE SET status = excluded.status,"
    " credit_limit = excluded.credit_limit, max_balance = excluded.max_balance,"
    " balance = excluded.balance, given = excluded.given, received = excluded.received,"
    " last_service_date = excluded.last_service_date"
)
_INSERT_STATEMENT = (
    "INSERT INTO {statements} (account_id, position, exchange_id, counterparty, organisation,"
    " gave, sign, minutes, balance, given, received, service_date, recorded_at, category,"
    " last_service_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_ORGANISATION = (
    "INSERT INTO {organisations} (id, name, credit_limit, max_balance, pending_expiry_days)"
    " VALUES (?, ?, ?, ?, ?)"
)
_COUNT_ACCOUNTS = "UPDATE {organisations} SET accounts = accounts + ? WHERE id = ?"
_MARK_DAY = (
    "INSERT INTO {day_positions} (day, position) VALUES (?, ?)"
    " ON CONFLICT (day) DO UPDATE SET position = excluded.position"
)


def prepare(page: PreparedPage, lookups: Lookups) -> list[Write]:
    accounts = page.accounts = _touched_accounts(lookups, page)
    opened: Counter[str] = Counter()
    for event in page.events:
        if event.type in TYPES and event.type != "Organisation.Registered":
            _change_account(accounts, event, opened)
            changed_id = account_id_in(event.stream)
            page.account_states[event.position] = dict(accounts[changed_id])
    statements = [row for move in _in_log_order(page) for row in _rows_of(accounts, move)]
    new: list[tuple[Any, ...]] = []
    changed: list[tuple[Any, ...]] = []
    first = page.events[0].position
    for account in accounts.values():
        (new if account["opened_position"] >= first else changed).append(_account_values(account))
    return [
        (_INSERT_ORGANISATION, _organisations(page.events)),
        (_INSERT_ACCOUNT, new),
        (_UPSERT_ACCOUNT, changed),
        (_INSERT_STATEMENT, statements),
        (_COUNT_ACCOUNTS, [(count, org) for org, count in opened.items()]),
        (_MARK_DAY, _days(page.events)),
    ]


def _in_log_order(page: PreparedPage) -> Iterable[Move | GiftMove]:
    """Exchange and gift moves as the log has them: each row's running balance is right."""
    if not page.gift_moves:
        return page.moves
    return heapq.merge(page.moves, page.gift_moves, key=attrgetter("position"))


def _rows_of(accounts: dict[str, Row], move: Move | GiftMove) -> list[tuple[Any, ...]]:
    if isinstance(move, GiftMove):
        return gifts.statement_rows(accounts, move)
    return _move(accounts, move)


def _organisations(events: Sequence[LogEvent]) -> list[tuple[Any, ...]]:
    return [
        (
            organisation_id_in(e.stream),
            e.data["name"],
            e.data["credit_limit"],
            e.data["max_balance"],
            e.data["pending_expiry_days"],
        )
        for e in events
        if e.type == "Organisation.Registered"
    ]


def _touched_accounts(lookups: Lookups, page: PreparedPage) -> dict[str, Row]:
    """The stored rows of every account this page changes: one query."""
    ids = {m.exchange[party] for m in page.moves for party in ("giver", "receiver")}
    ids.update(party for m in page.gift_moves for party in (m.from_account, m.to_account))
    ids.update(account_id_in(e.stream) for e in page.events if e.type in TYPES)
    ids.difference_update(
        account_id_in(e.stream) for e in page.events if e.type == "Account.Opened"
    )
    return lookups.accounts(sorted(ids))


def _change_account(accounts: dict[str, Row], event: LogEvent, opened: Counter[str]) -> None:
    account_id = account_id_in(event.stream)
    data = event.data
    if event.type == "Account.Opened":
        opened[data["organisation"]] += 1
        accounts[account_id] = {
            "id": account_id,
            "organisation": data["organisation"],
            "ref": data["ref"],
            "kind": data["kind"],
            "status": "open",
            "credit_limit": data["credit_limit"],
            "max_balance": data["max_balance"],
            "balance": 0,
            "given": 0,
            "received": 0,
            "last_service_date": None,
            "opened_position": event.position,
        }
    elif event.type == "Account.LimitsChanged":
        accounts[account_id].update(
            credit_limit=data["credit_limit"], max_balance=data["max_balance"]
        )
    elif event.type == "Account.Closed":
        accounts[account_id]["status"] = "closed"


def _move(accounts: dict[str, Row], move: Move) -> list[tuple[Any, ...]]:
    """Both sides of one move, each with its running figures (giver first)."""
    exchange, sign, position, recorded_at, minutes = move
    exchange_id, service_date = exchange["id"], exchange["service_date"]
    category = exchange["category"]
    giver = accounts[exchange["giver"]]
    move_balance(giver, True, minutes)
    giver["last_service_date"] = max(giver["last_service_date"] or "", service_date)
    gave = (
        giver["id"], position, exchange_id, exchange["receiver"], giver["organisation"], 1, sign,
        minutes, giver["balance"], giver["given"], giver["received"], service_date, recorded_at,
        category, giver["last_service_date"],
    )  # fmt: skip
    receiver = accounts[exchange["receiver"]]
    move_balance(receiver, False, minutes)
    receiver["last_service_date"] = max(receiver["last_service_date"] or "", service_date)
    received = (
        receiver["id"], position, exchange_id, exchange["giver"], receiver["organisation"], 0,
        sign, -minutes, receiver["balance"], receiver["given"], receiver["received"],
        service_date, recorded_at, category, receiver["last_service_date"],
    )  # fmt: skip
    return [gave, received]


def _days(events: Sequence[LogEvent]) -> list[tuple[str, int]]:
    """Later pages hold later positions, so the last write for a day is its last position."""
    last: dict[str, int] = {}
    for event in events:
        last[event.recorded_at[:10]] = event.position
    return sorted(last.items())
