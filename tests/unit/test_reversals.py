"""A reversal is a new, compensating record, and it is always applied."""

from __future__ import annotations

import pytest

from domain.errors import AlreadyReversed, Conflict, Forbidden, InvalidRequest
from ledger import Ledger
from tests.unit.support import balance, events_recorded, give


def test_a_reversal_restores_both_accounts_and_keeps_the_original(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "north:bob", 45)
    before = events_recorded(bank)

    reversed_ = bank.reverse_exchange(record.id, "north", "recorded by mistake")

    assert reversed_.status == "reversed"
    assert reversed_.minutes == 45, "the original facts stay as they were"
    assert events_recorded(bank) == before + 3, "two account events and the reversal"
    ann, bob = bank.get_account("north:ann"), bank.get_account("north:bob")
    assert (ann.balance, ann.given, bob.balance, bob.received) == (0, 0, 0, 0)


def test_a_reversal_is_applied_even_if_it_leaves_an_account_over_its_limit(bank: Ledger) -> None:
    paid_in = give(bank, "north", "north:ann", "north:bob", 60)
    give(bank, "north", "north:cy", "north:ann", 60)
    give(bank, "north", "north:cy", "north:ann", 60)
    assert balance(bank, "north:ann") == -60

    bank.reverse_exchange(paid_in.id, "north", "never happened")

    ann = bank.get_account("north:ann")
    assert ann.balance == -120
    assert ann.over_limit


def test_a_reversal_is_applied_to_a_closed_account(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "north:bob", 45)
    bank.close_account("north:ann", "north")

    bank.reverse_exchange(record.id, "north", "account closed by mistake")

    assert balance(bank, "north:ann") == 0


def test_an_exchange_cannot_be_reversed_twice(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "north:bob", 45)
    bank.reverse_exchange(record.id, "north", "mistake")
    before = events_recorded(bank)

    with pytest.raises(AlreadyReversed) as refused:
        bank.reverse_exchange(record.id, "north", "again")

    assert refused.value.code == "already_reversed"
    assert events_recorded(bank) == before
    assert balance(bank, "north:ann") == 0


def test_a_pending_exchange_cannot_be_reversed(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 45)

    with pytest.raises(Conflict):
        bank.reverse_exchange(record.id, "north", "not yet confirmed")

    assert bank.get_exchange(record.id).status == "pending"


def test_a_rejected_exchange_cannot_be_reversed(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "south:dee", 45)
    bank.reject_exchange(record.id, "south", "no")

    with pytest.raises(Conflict):
        bank.reverse_exchange(record.id, "north", "reverse a rejection")


def test_either_party_organisation_or_the_operator_may_reverse(bank: Ledger) -> None:
    first = give(bank, "north", "north:ann", "south:dee", 30)
    second = give(bank, "north", "north:ann", "south:dee", 30)
    for record in (first, second):
        bank.confirm_exchange(record.id, "south")

    assert bank.reverse_exchange(first.id, "south", "by the other party").status == "reversed"
    assert bank.reverse_exchange(second.id, None, "by the operator").status == "reversed"
    assert (balance(bank, "north:ann"), balance(bank, "south:dee")) == (0, 0)


def test_an_organisation_that_is_no_party_cannot_reverse(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "north:bob", 45)

    with pytest.raises(Forbidden):
        bank.reverse_exchange(record.id, "east", "not ours")

    assert bank.get_exchange(record.id).status == "completed"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_reversal_needs_a_reason(bank: Ledger, reason: str) -> None:
    record = give(bank, "north", "north:ann", "north:bob", 45)

    with pytest.raises(InvalidRequest):
        bank.reverse_exchange(record.id, "north", reason)
