"""Two meanings of "as of a date": what the ledger had recorded by then (auditors), and the
exchanges whose service date is on or before it (brokers, after a migration recorded today).
The read models and the offline replay agree on both; a replay past the export's end says so."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from api.cli import main
from ledger import ExchangeRequest, Ledger
from projections import build
from projections.audit_log import AuditLog
from projections.audit_replay import PositionPastTheEnd, replay_balances
from projections.setup import Projections
from tests.unit.test_audit_chain import chained

MARCH, APRIL, MAY = date(2025, 3, 14), date(2025, 4, 2), date(2025, 5, 20)


def migrated(ledger: Ledger) -> Projections:
    """A history with old service dates, all of it recorded today, as an import records it."""
    ledger.register_organisation("north", "North")
    for ref in ("ann", "bob"):
        ledger.open_account("north", ref)
    for day, minutes in ((MARCH, 60), (APRIL, 30), (MAY, 45)):
        record = ledger.record_exchange(
            "north", ExchangeRequest("north:ann", "north:bob", minutes, service_date=day)
        )
    ledger.reverse_exchange(record.id, "north", "recorded twice")
    built = build(ledger)
    built.runner.run_once()
    return built


def test_by_service_date_counts_the_old_exchanges_recorded_today(ledger: Ledger) -> None:
    views = migrated(ledger).read_models

    by_april = views.account_by_service_date("north:ann", APRIL)
    recorded_by_april = views.account("north:ann", as_of=APRIL)

    assert by_april is not None
    assert (by_april["balance"], by_april["given"], by_april["received"]) == (90, 90, 0)
    assert by_april["last_activity"] == APRIL.isoformat()
    assert recorded_by_april is None, "the ledger held no such account then"
    before = views.account_by_service_date("north:bob", MARCH - timedelta(days=1))
    assert before is not None
    assert (before["balance"], before["last_activity"]) == (0, None)
    reversed_ = views.account_by_service_date("north:bob", MAY)
    assert reversed_ is not None
    assert reversed_["balance"] == -90, "a reversed exchange counts as never having happened"


def test_last_activity_is_the_latest_service_date_not_the_day_of_recording(
    ledger: Ledger,
) -> None:
    account = migrated(ledger).read_models.account("north:bob")

    assert account is not None
    assert account["last_activity"] == MAY.isoformat()


def test_the_offline_replay_by_service_date_equals_the_read_models(ledger: Ledger) -> None:
    views = migrated(ledger).read_models
    events = list(chained(ledger, AuditLog(ledger.recorder)).all_events(until=10**9))

    for day in (MARCH - timedelta(days=1), MARCH, APRIL, MAY):
        replayed = replay_balances(events, service_date_to=day)
        for account, balance in replayed.items():
            read = views.account_by_service_date(account, day)
            assert read is not None
            assert read["balance"] == balance, (account, day)
    assert replay_balances(events, as_of=APRIL) == {}, "nothing was recorded by then"


def test_a_replay_to_a_position_past_the_end_of_the_export_is_refused(ledger: Ledger) -> None:
    migrated(ledger)
    events = list(chained(ledger, AuditLog(ledger.recorder)).all_events(until=10**9))
    last = int(events[-1]["position"])

    assert replay_balances(events, position=last) == replay_balances(events)
    with pytest.raises(PositionPastTheEnd, match=f"ends at position {last}, before {last + 1}"):
        replay_balances(events, position=last + 1)


def test_audit_balances_offers_both_dates_and_refuses_a_position_past_the_end(
    ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrated(ledger)
    export = tmp_path / "ledger.jsonl"
    events = list(chained(ledger, AuditLog(ledger.recorder)).all_events(until=10**9))
    export.write_text("".join(json.dumps(event) + "\n" for event in events))
    capsys.readouterr()

    assert main(["audit", "balances", str(export), "--service-date-to", "2025-04-02"]) == 0
    assert capsys.readouterr().out == "account,balance\nnorth:ann,90\nnorth:bob,-90\n"
    assert main(["audit", "balances", str(export), "--as-of", "2025-04-02"]) == 0
    assert capsys.readouterr().out == "account,balance\n"
    assert main(["audit", "balances", str(export), "--position", "999"]) == 2
    assert "the export ends at position" in capsys.readouterr().err
