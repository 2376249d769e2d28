"""Recording an exchange inside one organisation: rules a partner organisation would notice."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from domain.errors import (
    AccountClosed,
    CreditLimitExceeded,
    Forbidden,
    InvalidRequest,
    MaxBalanceExceeded,
    SameAccount,
    UnknownAccount,
)
from ledger import ExchangeRequest, Ledger
from tests.unit.support import Clock, balance, events_recorded, give


def test_an_exchange_inside_one_organisation_completes_at_once(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "north:bob", 45, category="gardening")

    assert record.status == "completed"
    assert (record.giver, record.receiver, record.minutes) == ("north:ann", "north:bob", 45)
    assert (record.recorded_by, record.category) == ("north", "gardening")
    assert record.position == events_recorded(bank)
    ann, bob = bank.get_account("north:ann"), bank.get_account("north:bob")
    assert (ann.balance, ann.given, ann.received) == (45, 45, 0)
    assert (bob.balance, bob.given, bob.received) == (-45, 0, 45)


def test_the_giver_earns_and_the_receiver_spends(bank: Ledger) -> None:
    give(bank, "north", "north:ann", "north:bob", 45)

    assert balance(bank, "north:ann") == 45
    assert balance(bank, "north:bob") == -45


def test_a_recorded_exchange_reads_back_as_it_was_recorded(bank: Ledger, clock: Clock) -> None:
    record = give(bank, "north", "north:ann", "north:bob", 30, note="shopping")

    again = bank.get_exchange(record.id)

    assert again == replace(record, position=0)
    assert again.service_date == clock.today().isoformat()
    assert again.recorded_at == record.recorded_at


def test_a_receiver_can_spend_down_to_exactly_its_credit_limit(bank: Ledger) -> None:
    give(bank, "north", "north:ann", "north:bob", 60)

    assert balance(bank, "north:bob") == -60
    assert not bank.get_account("north:bob").over_limit


def test_a_receiver_cannot_go_below_its_credit_limit(bank: Ledger) -> None:
    give(bank, "north", "north:ann", "north:bob", 50)
    before = events_recorded(bank)

    with pytest.raises(CreditLimitExceeded) as refused:
        give(bank, "north", "north:cy", "north:bob", 11)

    assert refused.value.code == "credit_limit_exceeded"
    assert refused.value.extra["account"] == "north:bob"
    assert events_recorded(bank) == before
    assert (balance(bank, "north:bob"), balance(bank, "north:cy")) == (-50, 0)


def test_a_giver_cannot_go_above_its_max_balance(bank: Ledger) -> None:
    bank.open_account("north", "pot", kind="pot", max_balance=100)
    give(bank, "north", "north:pot", "north:ann", 60)
    give(bank, "north", "north:pot", "north:bob", 40)

    with pytest.raises(MaxBalanceExceeded) as refused:
        give(bank, "north", "north:pot", "north:cy", 1)

    assert refused.value.code == "max_balance_exceeded"
    assert balance(bank, "north:pot") == 100


@pytest.mark.parametrize("minutes", [0, 1441, 1.5, True])
def test_minutes_outside_1_to_1440_record_nothing(bank: Ledger, minutes: int) -> None:
    before = events_recorded(bank)

    with pytest.raises(InvalidRequest) as refused:
        give(bank, "north", "north:ann", "north:bob", minutes)

    assert refused.value.extra["field"] == "minutes"
    assert events_recorded(bank) == before


def test_an_account_cannot_exchange_with_itself(bank: Ledger) -> None:
    with pytest.raises(SameAccount):
        give(bank, "north", "north:ann", "north:ann", 30)


def test_a_service_date_in_the_future_is_refused(bank: Ledger, clock: Clock) -> None:
    tomorrow = clock.today() + timedelta(days=1)

    with pytest.raises(InvalidRequest) as refused:
        give(bank, "north", "north:ann", "north:bob", 30, service_date=tomorrow)

    assert refused.value.extra["field"] == "service_date"


def test_a_service_date_in_the_past_is_kept(bank: Ledger) -> None:
    record = give(bank, "north", "north:ann", "north:bob", 30, service_date=date(2024, 1, 31))

    assert record.service_date == "2024-01-31"


@pytest.mark.parametrize(("field", "value"), [("category", "Garden Work"), ("note", "x" * 501)])
def test_a_bad_category_or_an_overlong_note_is_refused(
    bank: Ledger, field: str, value: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        give(bank, "north", "north:ann", "north:bob", 30, **{field: value})

    assert refused.value.extra["field"] == field


@pytest.mark.parametrize("closed", ["north:ann", "north:bob"])
def test_a_closed_account_takes_no_new_exchange(bank: Ledger, closed: str) -> None:
    give(bank, "north", "north:ann", "north:bob", 30)
    bank.close_account(closed, "north")

    with pytest.raises(AccountClosed):
        give(bank, "north", "north:ann", "north:bob", 30)

    assert bank.get_account(closed).status == "closed"
    assert balance(bank, "north:ann") == 30, "a closed account's balance stays readable"


@pytest.mark.parametrize("unknown", ["north:nobody", "nowhere:ann", "not-an-id"])
def test_an_unknown_account_is_refused(bank: Ledger, unknown: str) -> None:
    with pytest.raises(UnknownAccount):
        give(bank, "north", "north:ann", unknown, 30)


def test_an_organisation_cannot_record_between_two_other_organisations(bank: Ledger) -> None:
    before = events_recorded(bank)

    with pytest.raises(Forbidden):
        give(bank, "north", "south:dee", "east:eve", 30)

    assert events_recorded(bank) == before


def test_every_write_answers_with_a_later_position(bank: Ledger) -> None:
    first = give(bank, "north", "north:ann", "north:bob", 10)
    second = bank.record_exchange("north", ExchangeRequest("north:bob", "north:ann", 10))

    assert second.position > first.position
