"""Exchanges, balances and gifts as three tables, for coordinators' spreadsheets.

Folded straight from the event log (an export is an occasional job, not a request), so the
tables are exact whatever state the read models are in. Balances move by the definition the
live views share (projections/balance_moves.py); statuses read as the API reads them.
`timebank export --format csv` (api/commands/export_csv.py) writes them as CSV.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from eventsourcing.persistence import ApplicationRecorder

from domain.account import account_id_in, is_account_stream
from domain.exchange import exchange_id_in, status_on
from domain.gift import gift_id_in
from domain.rules import organisation_of
from projections.balance_moves import move_by_event
from projections.events import LogEvent, read_log
from projections.moves import EXCHANGE_STATUS_AFTER

PAGE = 5000
EXCHANGE_COLUMNS = (
    "exchange_id", "status", "giver", "receiver", "minutes", "hours", "service_date",
    "category", "note", "recorded_by", "recorded_at", "awaiting",
)  # fmt: skip
BALANCE_COLUMNS = (
    "account", "organisation", "ref", "kind", "status", "balance", "balance_hours",
    "given", "received", "credit_limit", "max_balance",
)  # fmt: skip
GIFT_COLUMNS = (
    "gift_id", "status", "from", "to", "minutes", "hours", "day", "note", "recorded_at",
)  # fmt: skip
Row = dict[str, Any]


def all_events(recorder: ApplicationRecorder) -> Iterator[LogEvent]:
    after = 0
    while page := read_log(recorder, after, PAGE):
        yield from page
        after = page[-1].position


class Tables:
    """The three tables (exchanges, balances, gifts), built by folding the log once."""

    def __init__(self, events: Iterable[LogEvent], today: date) -> None:
        self.exchanges: dict[str, Row] = {}
        self.accounts: dict[str, Row] = {}
        self.gifts: dict[str, Row] = {}
        for event in events:
            self._apply(event)
        for row in self.exchanges.values():  # statuses as the API reads them
            row["status"] = status_on(row["status"], row.pop("expires_on"), today)

    def _apply(self, event: LogEvent) -> None:
        data = event.data
        if event.type == "Exchange.Recorded":
            key = exchange_id_in(event.stream)
            self.exchanges[key] = _exchange_row(key, data, event.recorded_at)
        elif event.type in EXCHANGE_STATUS_AFTER:
            status = EXCHANGE_STATUS_AFTER[event.type]
            self.exchanges[exchange_id_in(event.stream)]["status"] = status
        elif event.type == "Gift.Made":
            key = gift_id_in(event.stream)
            self.gifts[key] = _gift_row(key, data, event.recorded_at)
        elif event.type == "Gift.Reversed":
            self.gifts[gift_id_in(event.stream)]["status"] = "reversed"
        elif event.type == "Account.Opened":
            self.accounts[account_id_in(event.stream)] = _account_row(event.stream, data)
        elif is_account_stream(event.stream):
            self._apply_to_account(event)

    def _apply_to_account(self, event: LogEvent) -> None:
        data, row = event.data, self.accounts[account_id_in(event.stream)]
        if move_by_event(row, event.type, int(data.get("minutes", 0))):
            return
        if event.type == "Account.LimitsChanged":
            row.update(credit_limit=data["credit_limit"], max_balance=data["max_balance"])
        elif event.type == "Account.Closed":
            row["status"] = "closed"

    def rows(self, organisation: str | None = None) -> tuple[list[Row], list[Row], list[Row]]:
        """The exchanges, the balances (by account id) and the gifts, optionally of one
        organisation."""
        exchanges = [r for r in self.exchanges.values() if _involves(r, organisation)]
        accounts = [r for r in self.accounts.values() if organisation in (None, r["organisation"])]
        for row in accounts:
            row["balance_hours"] = round(row["balance"] / 60, 2)
        gifts = [r for r in self.gifts.values() if organisation in (None, r["organisation"])]
        return exchanges, sorted(accounts, key=lambda r: str(r["account"])), gifts


def _exchange_row(exchange_id: str, data: dict[str, Any], recorded_at: str) -> Row:
    return {
        "exchange_id": exchange_id,
        "status": data["status"],
        "giver": data["giver"],
        "receiver": data["receiver"],
        "minutes": data["minutes"],
        "hours": round(data["minutes"] / 60, 2),
        "service_date": data["service_date"],
        "category": data["category"],
        "note": data["note"],
        "recorded_by": data["recorded_by"],
        "recorded_at": recorded_at,
        "awaiting": data["awaiting"],
        "expires_on": data["expires_on"],
    }


def _gift_row(gift_id: str, data: dict[str, Any], recorded_at: str) -> Row:
    return {
        "gift_id": gift_id,
        "status": "completed",
        "from": data["from_account"],
        "to": data["to_account"],
        "organisation": data["organisation"],
        "minutes": data["minutes"],
        "hours": round(data["minutes"] / 60, 2),
        "day": data["day"],
        "note": data["note"],
        "recorded_at": recorded_at,
    }


def _account_row(stream: str, data: dict[str, Any]) -> Row:
    return {
        "account": account_id_in(stream),
        "organisation": data["organisation"],
        "ref": data["ref"],
        "kind": data["kind"],
        "status": "open",
        "balance": 0,
        "given": 0,
        "received": 0,
        "credit_limit": data["credit_limit"],
        "max_balance": data["max_balance"],
    }


def _involves(row: Row, organisation: str | None) -> bool:
    parties = (organisation_of(str(row["giver"])), organisation_of(str(row["receiver"])))
    return organisation is None or organisation in parties
