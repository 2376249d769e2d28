"""Exchanges across organisations wait for the other organisation: confirm, reject, expire."""

from __future__ import annotations

import pytest

from domain.errors import AccountClosed, CreditLimitExceeded, Forbidden, NotPending, UnknownExchange
from ledger import Ledger
from tests.unit.support import Clock, balance, events_recorded, give


def test_an_exchange_across_organisations_waits_and_moves_no_balance(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 60)

    assert record.status == "pending"
    assert (balance(bank, "north:ann"), balance(bank, "south:dee")) == (0, 0)
    assert bank.get_exchange(record.id).status == "pending"


def test_either_side_may_record_the_pending_exchange(bank: Ledger) -> None:
    record = give(bank, "south", "north:ann", "south:dee", 60)

    assert record.status == "pending"
    assert bank.confirm_exchange(record.id, "north").status == "completed"


def test_when_the_other_organisation_confirms_the_balances_move(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 60)

    confirmed = bank.confirm_exchange(record.id, "south")

    assert confirmed.status == "completed"
    assert confirmed.position == events_recorded(bank)
    assert (balance(bank, "north:ann"), balance(bank, "south:dee")) == (60, -60)


def test_the_recording_organisation_cannot_confirm_its_own_pending_exchange(
    bank: Ledger,
) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 60)

    with pytest.raises(Forbidden):
        bank.confirm_exchange(record.id, "north")

    assert bank.get_exchange(record.id).status == "pending"


def test_limits_are_checked_when_the_exchange_is_confirmed(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 40)
    bank.open_account("south", "fay")
    give(bank, "south", "south:fay", "south:dee", 30)

    with pytest.raises(CreditLimitExceeded):
        bank.confirm_exchange(record.id, "south")

    assert bank.get_exchange(record.id).status == "pending"
    assert balance(bank, "south:dee") == -30


def test_a_closed_account_blocks_confirmation(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 40)
    bank.close_account("north:ann", "north")

    with pytest.raises(AccountClosed):
        bank.confirm_exchange(record.id, "south")


def test_the_other_organisation_may_reject_and_then_nothing_moves(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 60)

    rejected = bank.reject_exchange(record.id, "south", "never happened")

    assert rejected.status == "rejected"
    with pytest.raises(NotPending):
        bank.confirm_exchange(record.id, "south")
    with pytest.raises(NotPending):
        bank.reject_exchange(record.id, "south", "twice")
    assert (balance(bank, "north:ann"), balance(bank, "south:dee")) == (0, 0)


def test_only_the_awaited_organisation_may_reject(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 60)

    with pytest.raises(Forbidden):
        bank.reject_exchange(record.id, "east", "not ours")


def test_a_confirmed_exchange_cannot_be_confirmed_again(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 60)
    bank.confirm_exchange(record.id, "south")

    with pytest.raises(NotPending):
        bank.confirm_exchange(record.id, "south")

    assert balance(bank, "north:ann") == 60


def test_a_pending_exchange_is_still_pending_on_its_last_day(bank: Ledger, clock: Clock) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 60)
    clock.advance(days=7)

    assert bank.get_exchange(record.id).status == "pending"
    with pytest.raises(NotPending):
        bank.expire_exchange(record.id)
    assert bank.confirm_exchange(record.id, "south").status == "completed"


def test_a_pending_exchange_past_its_expiry_reads_as_expired_and_cannot_be_confirmed(
    bank: Ledger, clock: Clock
) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 60)
    clock.advance(days=8)

    assert bank.get_exchange(record.id).status == "expired"
    with pytest.raises(NotPending):
        bank.confirm_exchange(record.id, "south")
    with pytest.raises(NotPending):
        bank.reject_exchange(record.id, "south", "too late")
    assert balance(bank, "south:dee") == 0


def test_expiring_records_the_expiry_once(bank: Ledger, clock: Clock) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 60)
    clock.advance(days=8)
    before = events_recorded(bank)

    expired = bank.expire_exchange(record.id)

    assert expired.status == "expired"
    assert events_recorded(bank) == before + 1
    with pytest.raises(NotPending):
        bank.expire_exchange(record.id)


def test_a_completed_exchange_never_expires(bank: Ledger, clock: Clock) -> None:
    record = give(bank, "north", "north:ann", "north:bob", 60)
    clock.advance(days=30)

    assert bank.get_exchange(record.id).status == "completed"
    with pytest.raises(NotPending):
        bank.expire_exchange(record.id)


@pytest.mark.parametrize("exchange_id", ["not-a-uuid", "6f1c2b7e-0000-4000-8000-000000000000"])
def test_an_unknown_exchange_is_reported(bank: Ledger, exchange_id: str) -> None:
    with pytest.raises(UnknownExchange):
        bank.get_exchange(exchange_id)
    with pytest.raises(UnknownExchange):
        bank.confirm_exchange(exchange_id, None)
    # An organisation hears what it hears of any exchange it is no party to (test_disclosure).
    with pytest.raises(Forbidden):
        bank.confirm_exchange(exchange_id, "south")
