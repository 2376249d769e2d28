"""Exchanges and balances as CSV tables, for coordinators' spreadsheets.

Folded straight from the event log (an export is an occasional job, not a request), so the
tables are exact whatever state the read models are in. Text cells that a spreadsheet would
run as a formula (=, +, -, @ first) are written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from eventsourcing.persistence import ApplicationRecorder

from ledger.files import open_private
from projections.events import LogEvent, read_log

PAGE = 5000
EXCHANGE_COLUMNS = (
    "exchange_id", "status", "giver", "receiver", "minutes", "hours", "service_date",
    "category", "note", "recorded_by", "recorded_at", "awaiting",
)  # fmt: skip
BALANCE_COLUMNS = (
    "account", "organisation", "ref", "kind", "status", "balance", "balance_hours",
    "given", "received", "credit_limit", "max_balance",
)  # fmt: skip
STATUS_BY_EVENT = {
    "Exchange.Confirmed": "completed",
    "Exchange.Rejected": "rejected",
    "Exchange.Expired": "expired",
    "Exchange.Reversed": "reversed",
}
MOVES = {  # event -> (change of balance, of given, of received), per minute
    "Account.Earned": (1, 1, 0),
    "Account.Spent": (-1, 0, 1),
    "Account.EarningReversed": (-1, -1, 0),
    "Account.SpendingReversed": (1, 0, -1),
    # Gifts pass credits on: balances move, time given and received do not.
    "Account.GiftSent": (-1, 0, 0),
    "Account.GiftReceived": (1, 0, 0),
    "Account.GiftSentReversed": (1, 0, 0),
    "Account.GiftReceivedReversed": (-1, 0, 0),
}
GIFT_COLUMNS = (
    "gift_id", "status", "from", "to", "minutes", "hours", "day", "note", "recorded_at",
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def all_events(recorder: ApplicationRecorder) -> Iterator[LogEvent]:
    after = 0
    while page := read_log(recorder, after, PAGE):
        yield from page
        after = page[-1].position


class Tables:
    """The three tables (exchanges, balances, gifts), built by folding the log once."""

    def __init__(self, events: Iterable[LogEvent], today: date) -> None:
        self.exchanges: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.gifts: dict[str, dict[str, Any]] = {}
        for event in events:
            self._apply(event)
        for row in self.exchanges.values():
            expires = row.pop("expires_on")
            if row["status"] == "pending" and expires and today > date.fromisoformat(expires):
                row["status"] = "expired"  # as the API reads it

    def _apply(self, event: LogEvent) -> None:
        data, key = event.data, event.stream.partition(":")[2]
        if event.type == "Exchange.Recorded":
            self.exchanges[key] = _exchange_row(key, data, event.recorded_at)
        elif event.type in STATUS_BY_EVENT:
            self.exchanges[key]["status"] = STATUS_BY_EVENT[event.type]
        elif event.type == "Gift.Made":
            self.gifts[key] = _gift_row(key, data, event.recorded_at)
        elif event.type == "Gift.Reversed":
            self.gifts[key]["status"] = "reversed"
        elif event.type == "Account.Opened":
            self.accounts[key] = _account_row(key, data)
        elif event.type in MOVES:
            row, factors = self.accounts[key], MOVES[event.type]
            for column, factor in zip(("balance", "given", "received"), factors, strict=True):
                row[column] += factor * int(data["minutes"])
        elif event.type == "Account.LimitsChanged":
            self.accounts[key].update(credit_limit=data["credit_limit"])
            self.accounts[key].update(max_balance=data["max_balance"])
        elif event.type == "Account.Closed":
            self.accounts[key]["status"] = "closed"

    def write(self, directory: Path, organisation: str | None = None) -> list[Path]:
        """`exchanges.csv`, `balances.csv` and `gifts.csv` in `directory`, optionally for one
        organisation."""
        directory.mkdir(parents=True, exist_ok=True)
        exchanges = [r for r in self.exchanges.values() if _involves(r, organisation)]
        accounts = [r for r in self.accounts.values() if organisation in (None, r["organisation"])]
        for row in accounts:
            row["balance_hours"] = round(row["balance"] / 60, 2)
        gifts = [r for r in self.gifts.values() if organisation in (None, r["organisation"])]
        paths = [directory / "exchanges.csv", directory / "balances.csv", directory / "gifts.csv"]
        _write(paths[0], EXCHANGE_COLUMNS, exchanges)
        _write(paths[1], BALANCE_COLUMNS, sorted(accounts, key=lambda r: str(r["account"])))
        _write(paths[2], GIFT_COLUMNS, gifts)
        return paths


def _exchange_row(exchange_id: str, data: dict[str, Any], recorded_at: str) -> dict[str, Any]:
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


def _gift_row(gift_id: str, data: dict[str, Any], recorded_at: str) -> dict[str, Any]:
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


def _account_row(account_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "account": account_id,
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


def _involves(row: dict[str, Any], organisation: str | None) -> bool:
    parties = (str(row["giver"]).split(":", 1)[0], str(row["receiver"]).split(":", 1)[0])
    return organisation is None or organisation in parties


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with os.fdopen(open_private(path), "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row[column]) for column in columns])


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
