"""Domain rules on their own: no application, no store."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.account import Account, account_stream
from domain.errors import CreditLimitExceeded, InvalidRequest, MaxBalanceExceeded, UnknownAccount
from domain.exchange import Exchange, exchange_stream
from domain.rules import check_minutes, check_service_date, split_account_id


def an_account(credit_limit: int = 60, max_balance: int | None = None) -> Account:
    return Account(
        id=account_stream("north:ann"),
        organisation="north",
        ref="ann",
        kind="person",
        credit_limit=credit_limit,
        max_balance=max_balance,
    )


@pytest.mark.parametrize("minutes", [0, -1, 1441, 1.5, 60.0, True, False, "60", None])
def test_minutes_must_be_a_whole_number_from_1_to_1440(minutes: object) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_minutes(minutes)
    assert refused.value.extra["field"] == "minutes"


@pytest.mark.parametrize("minutes", [1, 60, 1440])
def test_minutes_from_1_to_1440_are_accepted(minutes: int) -> None:
    assert check_minutes(minutes) == minutes


def test_a_service_date_may_be_today_but_not_tomorrow() -> None:
    today = date(2024, 6, 1)
    assert check_service_date(today, today) == today
    with pytest.raises(InvalidRequest):
        check_service_date(date(2024, 6, 2), today)


@pytest.mark.parametrize("account_id", ["ann", "north:", ":ann", "North:ann", "north:a n"])
def test_a_malformed_account_id_names_no_account(account_id: str) -> None:
    with pytest.raises(UnknownAccount):
        split_account_id(account_id)


@settings(max_examples=200, deadline=None)
@given(
    balance=st.integers(-600, 600),
    credit_limit=st.integers(0, 600),
    minutes=st.integers(1, 1440),
)
def test_a_receiver_may_spend_exactly_down_to_its_credit_limit_and_no_further(
    balance: int, credit_limit: int, minutes: int
) -> None:
    account = an_account(credit_limit=credit_limit)
    account.balance = balance
    if balance - minutes >= -credit_limit:
        account.check_can_spend(minutes)
    else:
        with pytest.raises(CreditLimitExceeded) as refused:
            account.check_can_spend(minutes)
        assert refused.value.extra["account"] == "north:ann"


@settings(max_examples=200, deadline=None)
@given(
    balance=st.integers(-600, 600),
    max_balance=st.none() | st.integers(0, 600),
    minutes=st.integers(1, 1440),
)
def test_a_giver_may_earn_exactly_up_to_its_max_balance_and_no_further(
    balance: int, max_balance: int | None, minutes: int
) -> None:
    account = an_account(max_balance=max_balance)
    account.balance = balance
    if max_balance is None or balance + minutes <= max_balance:
        account.check_can_earn(minutes)
    else:
        with pytest.raises(MaxBalanceExceeded):
            account.check_can_earn(minutes)


@settings(max_examples=100, deadline=None)
@given(moves=st.lists(st.tuples(st.booleans(), st.integers(1, 1440)), max_size=30))
def test_earning_and_spending_then_reversing_everything_returns_to_zero(
    moves: list[tuple[bool, int]],
) -> None:
    account = an_account()
    for earned, minutes in moves:
        (account.earn if earned else account.spend)("x", minutes)
    assert account.balance == account.given - account.received
    for earned, minutes in moves:
        (account.reverse_earning if earned else account.reverse_spending)("x", minutes)
    assert (account.balance, account.given, account.received) == (0, 0, 0)


def test_a_pending_exchange_reads_as_expired_only_after_its_expiry_date() -> None:
    exchange = Exchange(
        id=exchange_stream("6f1c2b7e-0000-4000-8000-000000000000"),
        giver="north:ann",
        receiver="south:dee",
        minutes=60,
        service_date="2024-06-01",
        category=None,
        note=None,
        recorded_by="north",
        recorded_by_key=None,
        status="pending",
        awaiting="south",
        expires_on="2024-06-08",
        idempotency_key=None,
        fingerprint=None,
    )
    assert exchange.status_on(date(2024, 6, 8)) == "pending"
    assert exchange.status_on(date(2024, 6, 9)) == "expired"
    assert exchange.status == "pending", "reading never changes the record"
