"""Checking a batch: every refusal the ledger would give, each item seeing the balances the
items before it leave, and nothing recorded or changed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidRequest, LedgerError
from ledger import ExchangeRequest, Ledger, Opening, parse_database_url
from tests.unit.support import balance, events_recorded, give


def request(giver: str, receiver: str, minutes: int) -> ExchangeRequest:
    return ExchangeRequest(giver, receiver, minutes)


def test_every_refused_item_is_told_with_its_index_and_its_code(bank: Ledger) -> None:
    bank.close_account("north:cy", None)
    check = bank.check_batch(
        "north",
        [
            request("north:ann", "north:bob", 30),
            request("north:ann", "north:bob", 40),  # bob would go to -70, below -60
            request("north:ann", "north:cy", 10),  # cy is closed
            request("north:ann", "north:nobody", 10),
            request("south:dee", "east:eve", 10),  # neither party is north's
            request("north:ann", "south:dee", 10),
        ],
    )

    refusals = [(r.extra["index"], r.code) for r in check.refusals]
    assert refusals == [
        (1, "credit_limit_exceeded"),
        (2, "account_closed"),
        (3, "unknown_account"),
        (4, "forbidden"),
    ]
    assert check.statuses == ["completed", None, None, None, None, "pending"]
    assert (check.completed, check.pending) == (1, 1)
    assert "north:bob would go to -70 minutes" in check.refusals[0].detail


def test_each_item_sees_the_balances_left_by_the_items_that_passed(bank: Ledger) -> None:
    check = bank.check_batch(
        "north",
        [
            request("north:ann", "north:bob", 50),
            request("north:cy", "north:bob", 20),  # -70: refused, so it moves nothing
            request("north:cy", "north:bob", 10),  # -60: allowed after the refusal
            request("north:cy", "north:bob", 1),  # -61: refused
        ],
    )

    assert [r.extra["index"] for r in check.refusals] == [1, 3]


def test_a_check_records_nothing_and_leaves_every_account_as_it_was(bank: Ledger) -> None:
    give(bank, "north", "north:ann", "north:bob", 20)
    before = events_recorded(bank)

    check = bank.check_batch(
        "north", [request("north:ann", "north:bob", 30), request("north:cy", "north:ann", 15)]
    )

    assert check.refusals == []
    assert events_recorded(bank) == before
    assert [balance(bank, a) for a in ("north:ann", "north:bob", "north:cy")] == [20, -20, 0]
    # The accounts the writer holds in its cache were not the ones moved: the next real
    # exchange starts from the recorded balances and saves only its own events.
    give(bank, "north", "north:ann", "north:bob", 5)
    assert [balance(bank, a) for a in ("north:ann", "north:bob", "north:cy")] == [25, -25, 0]
    assert events_recorded(bank) == before + 3


def test_an_opening_counts_the_organisations_missing_accounts_as_opened(bank: Ledger) -> None:
    bank.register_organisation("west", "West", credit_limit=30, max_balance=40)
    requests = [
        request("west:new-1", "west:new-2", 30),
        request("west:new-1", "west:new-2", 1),  # below west's default credit limit of 30
        request("west:new-1", "west:new-3", 11),  # above west's maximum balance of 40
        request("west:new-1", "north:nobody", 5),  # another organisation's: not opened
    ]

    check = bank.check_batch("west", requests, Opening())
    assert [(r.extra["index"], r.code) for r in check.refusals] == [
        (1, "credit_limit_exceeded"),
        (2, "max_balance_exceeded"),
        (3, "unknown_account"),
    ]
    assert check.refusals[2].extra["account"] == "north:nobody"
    assert check.opened == ["west:new-1", "west:new-2", "west:new-3"]

    generous = bank.check_batch("west", requests[:2], Opening(credit_limit=100))
    assert generous.refusals == []
    with pytest.raises(LedgerError):
        bank.get_account("west:new-1")  # nothing was opened


def test_without_an_opening_a_missing_account_is_refused(bank: Ledger) -> None:
    check = bank.check_batch("north", [request("north:ann", "north:new", 5)])
    assert [r.code for r in check.refusals] == ["unknown_account"]
    assert check.opened == []


def test_an_opening_with_a_limit_the_ledger_refuses_is_refused() -> None:
    with pytest.raises(InvalidRequest):
        Opening(credit_limit=-1)


PARTIES = ["north:ann", "north:bob", "north:cy", "north:new", "south:dee"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(PARTIES), st.sampled_from(PARTIES), st.integers(1, 70)),
        min_size=1,
        max_size=8,
    )
)
def test_a_check_refuses_exactly_what_the_ledger_refuses(items: list[tuple[str, str, int]]) -> None:
    ledger = Ledger(parse_database_url("memory://"))
    try:
        for org in ("north", "south"):
            ledger.register_organisation(org, org.title(), credit_limit=60, max_balance=90)
        for account_id in ("north:ann", "north:bob", "north:cy", "south:dee"):
            ledger.open_account(*account_id.split(":"))
        requests = [request(*item) for item in items]

        checked = {r.extra["index"] for r in ledger.check_batch("north", requests).refusals}

        first_refused = first_refusal_of_batch(ledger, requests)
        if first_refused is None:
            assert checked == set()
        else:
            assert first_refused == min(checked)
            assert checked == refused_one_by_one(ledger, requests)
    finally:
        ledger.close()


def first_refusal_of_batch(ledger: Ledger, requests: list[ExchangeRequest]) -> int | None:
    try:
        ledger.record_batch("north", requests)
    except LedgerError as error:
        return int(error.extra["index"])
    return None


def refused_one_by_one(ledger: Ledger, requests: list[ExchangeRequest]) -> set[int]:
    refused = set()
    for index, item in enumerate(requests):
        try:
            ledger.record_exchange("north", item)
        except LedgerError:
            refused.add(index)
    return refused
