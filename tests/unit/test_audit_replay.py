"""Balances replayed from the audit events alone equal what the ledger reported at each point."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import LedgerError
from ledger import ExchangeRequest, Ledger, parse_database_url
from projections.audit_log import AuditLog
from projections.audit_replay import end_of_day, replay_balances
from tests.unit.test_audit_chain import chained

ACCOUNTS = ("north:ann", "north:bob", "north:cy", "south:dee")
exchange = st.tuples(
    st.sampled_from(ACCOUNTS),
    st.sampled_from(ACCOUNTS),
    st.integers(min_value=1, max_value=400),
    st.sampled_from(["keep", "reverse", "confirm"]),
)


def apply(ledger: Ledger, giver: str, receiver: str, minutes: int, then: str) -> None:
    try:
        record = ledger.record_exchange("north", ExchangeRequest(giver, receiver, minutes))
        if record.status == "pending" and then == "confirm":
            ledger.confirm_exchange(record.id, "south")
        elif then == "reverse":
            ledger.reverse_exchange(record.id, "north", reason="mistake")
    except LedgerError:
        pass  # refused (same account, over a limit): nothing recorded, nothing to replay


@settings(max_examples=25, deadline=None)
@given(st.lists(exchange, max_size=12))
def test_replayed_balances_equal_the_ledgers_at_every_position(
    steps: list[tuple[str, str, int, str]],
) -> None:
    ledger = Ledger(parse_database_url("memory://"))
    for org in ("north", "south"):
        ledger.register_organisation(org, org.title(), credit_limit=300)
    for account in ACCOUNTS:
        org, ref = account.split(":")
        ledger.open_account(org, ref)
    reported = {}
    for step in steps:
        apply(ledger, *step)
        position = ledger.recorder.max_notification_id() or 0
        reported[position] = {a: ledger.get_account(a).balance for a in ACCOUNTS}
    events = list(chained(ledger, AuditLog(ledger.recorder)).all_events(until=10**9))
    ledger.close()
    for position, balances in reported.items():
        assert replay_balances(events, position=position) == balances
    assert sum(replay_balances(events).values()) == 0


def test_as_of_a_date_means_before_midnight_utc_at_its_end() -> None:
    assert end_of_day(date(2024, 6, 1)) == datetime(2024, 6, 2, tzinfo=UTC)
    opened = {"stream": "account:north:ann", "type": "Account.Opened", "data": {}}
    earned = {"stream": "account:north:ann", "type": "Account.Earned", "data": {"minutes": 30}}
    events = [
        {**opened, "position": 1, "recorded_at": "2024-06-01T23:59:59.999999Z"},
        {**earned, "position": 2, "recorded_at": "2024-06-01T23:59:59.999999Z"},
        {**earned, "position": 3, "recorded_at": "2024-06-02T00:00:00.000000Z"},
    ]
    assert replay_balances(events, as_of=date(2024, 5, 31)) == {}
    assert replay_balances(events, as_of=date(2024, 6, 1)) == {"north:ann": 30}
    assert replay_balances(events, as_of=date(2024, 6, 2)) == {"north:ann": 60}
