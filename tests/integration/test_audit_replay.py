"""An auditor replays an export offline and gets the balances the ledger reported.

Events are recorded over two days (the event clock is set by hand), so that balances as of
the first day can be compared with what the ledger said at the end of that day.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from api.cli import main
from ledger import ExchangeRequest, Ledger, parse_database_url
from ledger.ports import Ports, install

DAY_ONE = date(2024, 6, 1)
ACCOUNTS = ("north:ann", "north:bob", "north:cy", "south:dee")


@dataclass
class EventClock:
    """The time eventsourcing stamps on new events, moved by the test."""

    now: datetime = field(default_factory=lambda: datetime(2024, 6, 1, 9, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    value = str(request.getfixturevalue(f"{request.param}_url"))
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", value)
    return value


@pytest.fixture
def clock() -> Iterator[EventClock]:
    clock = EventClock()
    previous = install(Ports(clock=clock))
    yield clock
    install(previous)


def balances_of(ledger: Ledger) -> dict[str, int]:
    return {account: ledger.get_account(account).balance for account in ACCOUNTS}


def first_day(ledger: Ledger, clock: EventClock) -> str:
    """Returns the id of an exchange still pending at the end of the day."""
    for org in ("north", "south"):
        ledger.register_organisation(org, org.title())
    for account in ACCOUNTS:
        org, ref = account.split(":")
        ledger.open_account(org, ref)
    ledger.record_exchange("north", ExchangeRequest("north:ann", "north:bob", 90))
    doubled = ledger.record_exchange("north", ExchangeRequest("north:cy", "north:ann", 30))
    ledger.reverse_exchange(doubled.id, "north", reason="recorded twice")
    clock.now = datetime(2024, 6, 1, 23, 59, 59, 999999, tzinfo=UTC)
    ledger.record_exchange("north", ExchangeRequest("north:bob", "north:cy", 45))
    return ledger.record_exchange("north", ExchangeRequest("north:ann", "south:dee", 60)).id


def second_day(ledger: Ledger, clock: EventClock, pending: str) -> None:
    clock.now = datetime(2024, 6, 2, tzinfo=UTC)  # the first instant of the next day
    ledger.confirm_exchange(pending, "south")
    clock.now += timedelta(hours=3)
    first = ledger.record_exchange("north", ExchangeRequest("north:cy", "north:bob", 120))
    ledger.reverse_exchange(first.id, "north", reason="wrong member")
    ledger.record_exchange("north", ExchangeRequest("north:bob", "north:ann", 15))


def read_csv(text: str) -> dict[str, int]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["account", "balance"]
    return {account: int(balance) for account, balance in rows[1:]}


def test_replaying_an_export_gives_the_balances_the_ledger_reported_then_and_now(
    url: str, clock: EventClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def timebank(*args: str | Path | int | None) -> str:
        assert main([str(a) for a in args]) == 0
        return capsys.readouterr().out

    ledger = Ledger(parse_database_url(url), clock=clock)
    try:
        pending = first_day(ledger, clock)
        then, position_then = balances_of(ledger), ledger.recorder.max_notification_id()
        second_day(ledger, clock, pending)
        now = balances_of(ledger)
    finally:
        ledger.close()
    export = tmp_path / "export.jsonl"
    timebank("export", "--out", export)

    assert then != now
    assert read_csv(timebank("audit", "balances", export)) == now
    assert read_csv(timebank("audit", "balances", export, "--as-of", DAY_ONE.isoformat())) == then
    assert read_csv(timebank("audit", "balances", export, "--position", position_then)) == then
    assert read_csv(timebank("audit", "balances", export, "--as-of", "2024-05-31")) == {}
