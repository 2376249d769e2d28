"""Small helpers that keep the ledger tests reading as sentences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ledger import ExchangeRecord, ExchangeRequest, Ledger

START = datetime(2024, 6, 1, 12, tzinfo=UTC)


@dataclass
class Clock:
    """A clock the test moves by hand, so expiry can be reached without waiting."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)

    def today(self) -> date:
        return self.now.date()


def give(
    ledger: Ledger, org: str, giver: str, receiver: str, minutes: int, **kwargs: Any
) -> ExchangeRecord:
    """`giver` provided `minutes` of time to `receiver`, recorded by `org`."""
    return ledger.record_exchange(org, ExchangeRequest(giver, receiver, minutes, **kwargs))


def events_recorded(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def balance(ledger: Ledger, account_id: str) -> int:
    return ledger.get_account(account_id).balance
