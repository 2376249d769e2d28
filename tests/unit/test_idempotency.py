"""Idempotency keys: a retried request gets the first answer and records nothing new."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.errors import CreditLimitExceeded, IdempotencyKeyReused, InvalidRequest
from ledger import ExchangeRequest, Ledger, parse_database_url
from tests.unit.support import Clock, balance, events_recorded

HOUR = ExchangeRequest("north:ann", "north:bob", 60)


def test_the_same_key_and_body_gets_the_first_answer_and_records_nothing(bank: Ledger) -> None:
    first = bank.record_exchange("north", HOUR, idempotency_key="k-1")
    before = events_recorded(bank)

    again = bank.record_exchange("north", HOUR, idempotency_key="k-1")

    assert again.replayed
    assert not first.replayed
    assert again == replace(first, replayed=True)
    assert events_recorded(bank) == before
    assert balance(bank, "north:bob") == -60


def test_a_replay_answers_as_the_first_time_even_after_the_exchange_moved_on(
    bank: Ledger,
) -> None:
    request = ExchangeRequest("north:ann", "south:dee", 30)
    first = bank.record_exchange("north", request, idempotency_key="k-1")
    bank.confirm_exchange(first.id, "south")

    again = bank.record_exchange("north", request, idempotency_key="k-1")

    assert (again.status, again.position) == ("pending", first.position)


def test_the_same_key_with_another_body_is_refused(bank: Ledger) -> None:
    bank.record_exchange("north", HOUR, idempotency_key="k-1")
    before = events_recorded(bank)

    with pytest.raises(IdempotencyKeyReused) as refused:
        bank.record_exchange("north", replace(HOUR, minutes=59), idempotency_key="k-1")

    assert refused.value.code == "idempotency_key_reused"
    assert events_recorded(bank) == before


def test_keys_of_different_organisations_never_collide(bank: Ledger) -> None:
    bank.open_account("south", "fay")
    theirs = ExchangeRequest("south:dee", "south:fay", 60)

    ours = bank.record_exchange("north", HOUR, idempotency_key="shared")
    other = bank.record_exchange("south", theirs, idempotency_key="shared")

    assert ours.id != other.id
    assert not other.replayed
    assert balance(bank, "south:fay") == -60


def test_a_batch_key_cannot_be_reused_for_a_single_exchange(bank: Ledger) -> None:
    bank.record_batch("north", [HOUR], idempotency_key="k-1")

    with pytest.raises(IdempotencyKeyReused):
        bank.record_exchange("north", HOUR, idempotency_key="k-1")


def test_a_single_exchange_key_cannot_be_reused_for_a_batch(bank: Ledger) -> None:
    bank.record_exchange("north", HOUR, idempotency_key="k-1")

    with pytest.raises(IdempotencyKeyReused):
        bank.record_batch("north", [HOUR], idempotency_key="k-1")


def test_a_retried_batch_gets_the_first_answer_and_records_nothing(bank: Ledger) -> None:
    items = [HOUR, ExchangeRequest("north:bob", "north:cy", 15)]
    first = bank.record_batch("north", items, idempotency_key="b-1")
    before = events_recorded(bank)

    again = bank.record_batch("north", items, idempotency_key="b-1")

    assert again.replayed
    assert again.position == first.position
    assert again.exchanges == [replace(record, replayed=True) for record in first.exchanges]
    assert events_recorded(bank) == before
    with pytest.raises(IdempotencyKeyReused):
        bank.record_batch("north", items[:1], idempotency_key="b-1")


def test_a_refused_request_may_be_retried_with_its_key_once_it_can_succeed(bank: Ledger) -> None:
    bank.change_limits("north:bob", "north", credit_limit=30)
    with pytest.raises(CreditLimitExceeded):
        bank.record_exchange("north", HOUR, idempotency_key="k-1")
    bank.change_limits("north:bob", "north", credit_limit=60)

    record = bank.record_exchange("north", HOUR, idempotency_key="k-1")

    assert not record.replayed
    assert record.status == "completed"


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_idempotency_key_is_1_to_255_characters(bank: Ledger, key: str) -> None:
    with pytest.raises(InvalidRequest):
        bank.record_exchange("north", HOUR, idempotency_key=key)
    assert balance(bank, "north:bob") == 0


def test_a_replay_survives_a_restart(sqlite_url: str) -> None:
    clock = Clock()
    first_ledger = Ledger(parse_database_url(sqlite_url), clock=clock)
    first_ledger.register_organisation("north", "North")
    first_ledger.open_account("north", "ann")
    first_ledger.open_account("north", "bob")
    first = first_ledger.record_exchange("north", HOUR, idempotency_key="k-1")
    first_ledger.close()

    restarted = Ledger(parse_database_url(sqlite_url), clock=clock)
    again = restarted.record_exchange("north", HOUR, idempotency_key="k-1")

    assert again == replace(first, replayed=True)
    assert restarted.get_account("north:bob").balance == -60
    restarted.close()
