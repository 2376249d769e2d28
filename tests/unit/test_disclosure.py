"""What a refusal tells an organisation about records it may not read: nothing.

"Not yours" is one answer, whether or not the account or exchange exists, and a refusal
names another organisation's figures only to those who may read them.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest

from domain.errors import (
    CreditLimitExceeded,
    Forbidden,
    LedgerError,
    MaxBalanceExceeded,
    UnknownExchange,
)
from ledger import ExchangeRequest, Ledger
from tests.unit.support import events_recorded, give


def refusal(call: Callable[[], object]) -> LedgerError:
    with pytest.raises(LedgerError) as refused:
        call()
    return refused.value


def same_answer(first: LedgerError, second: LedgerError, *ids: str) -> bool:
    """Equal code and detail once the ids asked about are blanked out."""

    def blanked(error: LedgerError) -> tuple[str, str]:
        detail = error.detail
        for id_ in ids:
            detail = detail.replace(id_, "ID")
        return error.code, detail

    return blanked(first) == blanked(second)


@pytest.mark.parametrize(
    ("giver", "receiver"),
    [("north:ann", "north:nobody"), ("north:nobody", "east:nobody"), ("north:ann", "east:eve")],
)
def test_recording_between_two_other_organisations_is_forbidden_whether_or_not_they_exist(
    bank: Ledger, giver: str, receiver: str
) -> None:
    before = events_recorded(bank)

    error = refusal(lambda: give(bank, "south", giver, receiver, 30))

    assert isinstance(error, Forbidden)
    assert "nobody" not in error.detail
    assert events_recorded(bank) == before


def test_a_batch_item_between_other_organisations_is_forbidden_before_any_look_up(
    bank: Ledger,
) -> None:
    items = [ExchangeRequest("south:dee", "north:ann", 5), ExchangeRequest("north:x", "east:y", 5)]

    error = refusal(lambda: bank.record_batch("south", items))

    assert isinstance(error, Forbidden)
    assert error.extra["index"] == 1


@pytest.mark.parametrize("use_case", ["change_limits", "close_account"])
def test_another_organisations_account_is_forbidden_whether_or_not_it_exists(
    bank: Ledger, use_case: str
) -> None:
    def act(account_id: str) -> Callable[[], object]:
        return lambda: getattr(bank, use_case)(account_id, "south")

    existing = refusal(act("north:ann"))
    missing = refusal(act("north:nobody"))

    assert isinstance(existing, Forbidden)
    assert same_answer(existing, missing, "north:ann", "north:nobody")
    assert bank.get_account("north:ann").status == "open"


@pytest.mark.parametrize("use_case", ["confirm", "reject", "reverse"])
def test_an_exchange_of_other_organisations_is_forbidden_whether_or_not_it_exists(
    bank: Ledger, use_case: str
) -> None:
    pending = give(bank, "north", "north:ann", "south:dee", 10).id
    completed = give(bank, "north", "north:ann", "north:bob", 10).id
    existing = pending if use_case != "reverse" else completed
    missing = str(uuid4())

    def act(exchange_id: str) -> Callable[[], object]:
        if use_case == "confirm":
            return lambda: bank.confirm_exchange(exchange_id, "east")
        method = getattr(bank, f"{use_case}_exchange")
        return lambda: method(exchange_id, "east", "not ours")

    there, not_there = refusal(act(existing)), refusal(act(missing))

    assert isinstance(there, Forbidden)
    assert same_answer(there, not_there, existing, missing)


def test_the_operator_hears_that_an_exchange_does_not_exist(bank: Ledger) -> None:
    assert isinstance(refusal(lambda: bank.confirm_exchange(str(uuid4()), None)), UnknownExchange)


def test_a_confirm_refused_for_the_other_partys_credit_limit_tells_no_balance(
    bank: Ledger,
) -> None:
    give(bank, "north", "north:ann", "north:bob", 50)  # bob: -50, limit 60
    pending = give(bank, "north", "south:dee", "north:bob", 30)

    error = refusal(lambda: bank.confirm_exchange(pending.id, "south"))

    assert isinstance(error, CreditLimitExceeded)
    assert error.extra["account"] == "north:bob"
    assert "-80" not in error.detail
    assert "60" not in error.detail
    assert "north:bob" in error.detail


def test_a_confirm_refused_for_the_other_partys_max_balance_tells_no_balance(
    bank: Ledger,
) -> None:
    bank.change_limits("north:ann", "north", max_balance=70)
    give(bank, "north", "north:ann", "north:bob", 50)  # ann: 50, cap 70
    pending = give(bank, "north", "north:ann", "south:dee", 30)

    error = refusal(lambda: bank.confirm_exchange(pending.id, "south"))

    assert isinstance(error, MaxBalanceExceeded)
    assert "80" not in error.detail
    assert "70" not in error.detail


def test_a_refusal_for_the_callers_own_account_keeps_its_figures(bank: Ledger) -> None:
    give(bank, "south", "south:dee", "north:ann", 10)
    give(bank, "north", "north:bob", "north:ann", 60)  # nothing confirmed yet: ann -60
    pending = give(bank, "south", "south:dee", "north:ann", 10)

    error = refusal(lambda: bank.confirm_exchange(pending.id, "north"))

    assert isinstance(error, CreditLimitExceeded)
    assert "-70" in error.detail
    assert "-60" in error.detail
