"""`timebank demo`: a plausible, deterministic year of activity, only into an empty ledger."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from api.cli import main
from api.commands.demo import DemoSummary, fill
from api.demo.population import ORGANISATIONS
from ledger import Ledger, parse_database_url
from ledger.texts import Place
from projections.events import LogEvent, read_log

NOON = datetime(2025, 12, 31, 12, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOON


def events_of(ledger: Ledger) -> list[LogEvent]:
    return read_log(ledger.recorder, 0, 10**6)


def recorded(events: list[LogEvent]) -> list[dict[str, Any]]:
    return [e.data for e in events if e.type == "Exchange.Recorded"]


@pytest.fixture(scope="module")
def year() -> Iterator[tuple[Ledger, DemoSummary, list[LogEvent]]]:
    """One demo year in memory, shared by the read-only checks below."""
    ledger = Ledger(parse_database_url("memory://"), clock=fixed_clock)
    summary = fill(ledger, seed=11)
    yield ledger, summary, events_of(ledger)
    ledger.close()


def test_the_demo_fills_any_backend_with_three_organisations_and_a_year_of_exchanges(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger(clock=fixed_clock)
    summary = fill(ledger, seed=1)
    assert [ledger.get_organisation(o.id).name for o in ORGANISATIONS] == [
        "Riverside Timebank",
        "Oakwood Day Service",
        "Northshire Council Community Team",
    ]
    assert 250 <= summary.accounts <= 400
    assert summary.exchanges >= 2000
    assert summary.position == ledger.recorder.max_notification_id()


def test_balances_sum_to_zero_and_every_account_stays_within_its_limits(
    year: tuple[Ledger, DemoSummary, list[LogEvent]],
) -> None:
    ledger, _, events = year
    ids = [e.stream.removeprefix("account:") for e in events if e.type == "Account.Opened"]
    accounts = [ledger.get_account(account_id) for account_id in ids]
    assert sum(a.balance for a in accounts) == 0
    assert not [a.id for a in accounts if a.over_limit]
    kinds = Counter(a.kind for a in accounts)
    assert kinds["organisation"] == 3
    assert kinds["pot"] == 1
    assert kinds["person"] >= 250


def test_the_year_has_every_kind_of_outcome(
    year: tuple[Ledger, DemoSummary, list[LogEvent]],
) -> None:
    _, summary, events = year
    types = Counter(e.type for e in events)
    confirmed = types["Exchange.Confirmed"]
    assert confirmed > 50
    assert types["Exchange.Rejected"] == summary.rejected > 0
    assert types["Exchange.Reversed"] == summary.reversed > 0
    assert summary.pending > 0
    exchanges = recorded(events)
    cross = [r for r in exchanges if r["awaiting"] is not None]
    assert len(cross) == confirmed + summary.rejected + summary.pending
    assert summary.completed == len(exchanges) - len(cross) + confirmed - summary.reversed
    categories = {r["category"] for r in exchanges}
    assert {"donation", "event-support", "training"} <= categories


def test_service_dates_span_the_past_year_with_a_seasonal_rhythm(
    year: tuple[Ledger, DemoSummary, list[LogEvent]],
) -> None:
    _, _, events = year
    dates = [r["service_date"] for r in recorded(events)]
    assert min(dates) >= "2025-01-01"
    assert max(dates) <= "2025-12-31"
    by_month = Counter(d[:7] for d in dates)
    assert len(by_month) == 12
    assert by_month["2025-08"] < 0.75 * by_month["2025-05"]
    assert by_month["2025-12"] < 0.75 * by_month["2025-10"]


def test_a_few_power_users_and_many_occasional_ones(
    year: tuple[Ledger, DemoSummary, list[LogEvent]],
) -> None:
    _, _, events = year
    taking_part: Counter[str] = Counter()
    for r in recorded(events):
        taking_part.update([r["giver"], r["receiver"]])
    people = [
        e.stream.removeprefix("account:")
        for e in events
        if e.type == "Account.Opened" and e.data["kind"] == "person"
    ]
    counts = sorted((taking_part[p] for p in people), reverse=True)
    assert sum(counts[:10]) > 0.15 * sum(counts)
    assert counts[len(counts) // 2] < counts[0] / 5


def test_refs_are_opaque_codes(year: tuple[Ledger, DemoSummary, list[LogEvent]]) -> None:
    _, _, events = year
    refs = [e.data["ref"] for e in events if e.type == "Account.Opened"]
    codes = [r for r in refs if r[0] in "msrp" and r[1:].isdigit()]
    assert len(codes) == len(refs) - 4  # and "org" three times, "community-pot" once


def opened(ledger: Ledger, event: LogEvent) -> dict[str, Any]:
    """The event's data with its free text opened: sealing draws fresh keys and nonces."""
    data = dict(event.data)
    for field in ("note", "reason"):
        if data.get(field) is not None:
            place = Place(event.stream, event.version, field)
            data[field] = ledger.texts.open(data[field], place)[0]
    return data


def test_the_same_seed_records_the_same_events_and_exchange_ids() -> None:
    def run(seed: int) -> list[tuple[str, int, str, dict[str, Any]]]:
        ledger = Ledger(parse_database_url("memory://"), clock=fixed_clock)
        fill(ledger, seed)
        events = [(e.stream, e.version, e.type, opened(ledger, e)) for e in events_of(ledger)]
        ledger.close()
        return events

    first, again, other = run(5), run(5), run(6)
    assert first == again
    assert first != other


def test_the_command_refuses_a_ledger_that_already_holds_organisations(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", sqlite_url)
    ledger = Ledger(parse_database_url(sqlite_url))
    ledger.register_organisation("real-org", "A real organisation")
    before = ledger.recorder.max_notification_id()
    ledger.close()

    assert main(["demo"]) == 1
    assert "only fills an empty" in capsys.readouterr().err
    ledger = Ledger(parse_database_url(sqlite_url))
    assert ledger.recorder.max_notification_id() == before
    ledger.close()


def test_the_command_fills_a_ledger_that_holds_only_the_operators_key(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", sqlite_url)
    ledger = Ledger(parse_database_url(sqlite_url))
    assert ledger.ensure_admin_key() is not None
    ledger.close()

    assert main(["demo", "--seed", "9"]) == 0
    out = capsys.readouterr().out
    assert "riverside-timebank" in out
    assert "exchanges:" in out


def test_the_command_prints_a_broker_key_and_an_auditor_key_to_sign_in_with(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", sqlite_url)

    assert main(["demo", "--seed", "9"]) == 0
    out = capsys.readouterr().out

    broker = re.search(r"broker of riverside-timebank: (tbk_\S+)", out)
    auditor = re.search(r"auditor of every organisation, read only: (tbk_\S+)", out)
    assert broker, out
    assert auditor, out
    assert "127.0.0.1:8000" not in out, "the demo does not know where the server will listen"
    ledger = Ledger(parse_database_url(sqlite_url))
    try:
        as_broker = ledger.authenticate(broker.group(1))
        as_auditor = ledger.authenticate(auditor.group(1))
    finally:
        ledger.close()
    assert as_broker is not None
    assert (as_broker.role, as_broker.organisation) == ("broker", "riverside-timebank")
    assert as_auditor is not None
    assert as_auditor.role == "auditor"
