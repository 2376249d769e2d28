"""Events are stored in the same form whatever way their classes are declared: logs written
before must load and hash the same."""

from __future__ import annotations

import orjson

from ledger import ExchangeRequest, Ledger


def _stored(ledger: Ledger) -> list[tuple[str, str, dict[str, object]]]:
    found = []
    for notification in ledger.recorder.select_notifications(start=1, limit=100):
        state = orjson.loads(notification.state)
        state.pop("timestamp")
        found.append((str(notification.originator_id), notification.topic, state))
    return found


def test_the_balance_moves_of_an_exchange_are_stored_as_they_always_were(bank: Ledger) -> None:
    record = bank.record_exchange("north", ExchangeRequest("north:ann", "north:bob", 45))
    moves = [s for s in _stored(bank) if s[1].startswith("domain.account:Account.")][-2:]
    assert moves == [
        ("account:north:ann", "domain.account:Account.Earned",
         {"exchange_id": record.id, "minutes": 45}),
        ("account:north:bob", "domain.account:Account.Spent",
         {"exchange_id": record.id, "minutes": 45}),
    ]  # fmt: skip


def test_an_account_rebuilt_from_its_stored_events_has_the_same_figures(bank: Ledger) -> None:
    bank.record_exchange("north", ExchangeRequest("north:ann", "north:bob", 45))
    bank.record_exchange("north", ExchangeRequest("north:bob", "north:ann", 15))
    cached = bank.get_account("north:ann")
    rebuilt = bank.repository.get("account:north:ann", version=2**62)
    assert (rebuilt.balance, rebuilt.given, rebuilt.received) == (30, 45, 15)
    assert cached.balance == rebuilt.balance
