"""Organisations and accounts: defaults, limits that apply from now on, closing."""

from __future__ import annotations

import pytest

from domain.errors import (
    Conflict,
    CreditLimitExceeded,
    Forbidden,
    InvalidRequest,
    UnknownAccount,
    UnknownOrganisation,
)
from ledger import Ledger
from tests.unit.support import balance, give


def test_an_organisation_has_the_contract_defaults(ledger: Ledger) -> None:
    record = ledger.register_organisation("west", "West Timebank")

    assert (record.credit_limit, record.max_balance, record.pending_expiry_days) == (600, None, 14)
    assert ledger.get_organisation("west") == record.__class__(**{**record.__dict__, "position": 0})


def test_an_organisation_id_is_registered_once(ledger: Ledger) -> None:
    ledger.register_organisation("west", "West")

    with pytest.raises(Conflict):
        ledger.register_organisation("west", "West again")


@pytest.mark.parametrize("org", ["West", "w", "-west", "west_1", "w" * 64])
def test_an_organisation_id_must_be_lowercase_letters_digits_and_dashes(
    ledger: Ledger, org: str
) -> None:
    with pytest.raises(InvalidRequest):
        ledger.register_organisation(org, "Somewhere")


def test_an_unknown_organisation_is_reported(ledger: Ledger) -> None:
    with pytest.raises(UnknownOrganisation):
        ledger.get_organisation("nowhere")
    with pytest.raises(UnknownOrganisation):
        ledger.open_account("nowhere", "ann")


def test_an_account_takes_its_organisation_limits_unless_given_its_own(ledger: Ledger) -> None:
    ledger.register_organisation("west", "West", credit_limit=120, max_balance=900)

    default = ledger.open_account("west", "ann")
    own = ledger.open_account("west", "pot", kind="pot", credit_limit=0, max_balance=None)

    assert (default.id, default.kind, default.credit_limit, default.max_balance) == (
        "west:ann",
        "person",
        120,
        900,
    )
    assert (own.kind, own.credit_limit, own.max_balance) == ("pot", 0, None)
    assert (default.balance, default.given, default.received, default.status) == (0, 0, 0, "open")


def test_an_account_ref_is_opened_once(bank: Ledger) -> None:
    with pytest.raises(Conflict):
        bank.open_account("north", "ann")


@pytest.mark.parametrize(
    ("ref", "kind"), [("a b", "person"), ("", "person"), ("x" * 65, "person"), ("ok", "robot")]
)
def test_a_bad_ref_or_kind_is_refused(bank: Ledger, ref: str, kind: str) -> None:
    with pytest.raises(InvalidRequest):
        bank.open_account("north", ref, kind=kind)


def test_an_unknown_account_is_reported(bank: Ledger) -> None:
    with pytest.raises(UnknownAccount):
        bank.get_account("north:nobody")


def test_a_lower_limit_applies_to_later_exchanges_only(bank: Ledger) -> None:
    earlier = give(bank, "north", "north:ann", "north:bob", 50)

    changed = bank.change_limits("north:bob", "north", credit_limit=30)

    assert (changed.credit_limit, changed.balance, changed.over_limit) == (30, -50, True)
    assert bank.get_exchange(earlier.id).status == "completed"
    with pytest.raises(CreditLimitExceeded):
        give(bank, "north", "north:ann", "north:bob", 1)


def test_a_higher_limit_lets_later_exchanges_through(bank: Ledger) -> None:
    give(bank, "north", "north:ann", "north:bob", 60)
    bank.change_limits("north:bob", "north", credit_limit=120)

    give(bank, "north", "north:ann", "north:bob", 60)

    assert balance(bank, "north:bob") == -120


def test_a_max_balance_can_be_set_and_removed(bank: Ledger) -> None:
    capped = bank.change_limits("north:ann", "north", max_balance=10)
    uncapped = bank.change_limits("north:ann", "north", max_balance=None)

    assert (capped.max_balance, uncapped.max_balance, uncapped.credit_limit) == (10, None, 60)


def test_only_the_account_organisation_changes_limits_or_closes_it(bank: Ledger) -> None:
    with pytest.raises(Forbidden):
        bank.change_limits("north:ann", "south", credit_limit=0)
    with pytest.raises(Forbidden):
        bank.close_account("north:ann", "south")
    assert bank.get_account("north:ann").credit_limit == 60


@pytest.mark.parametrize("limit", [-1, 1.5, True])
def test_a_limit_is_a_whole_number_of_minutes_not_below_zero(bank: Ledger, limit: int) -> None:
    with pytest.raises(InvalidRequest):
        bank.change_limits("north:ann", "north", credit_limit=limit)


def test_closing_an_account_twice_changes_nothing(bank: Ledger) -> None:
    first = bank.close_account("north:ann", None)
    second = bank.close_account("north:ann", "north")

    assert first.status == second.status == "closed"
    assert second.position == first.position
