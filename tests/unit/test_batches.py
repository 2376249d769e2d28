"""A batch is all or nothing, and each item sees the balances left by the items before it."""

from __future__ import annotations

import pytest

from domain.errors import CreditLimitExceeded, InvalidRequest, SameAccount, UnknownAccount
from ledger import ExchangeRequest, Ledger
from tests.unit.support import balance, events_recorded


def request(giver: str, receiver: str, minutes: int) -> ExchangeRequest:
    return ExchangeRequest(giver, receiver, minutes)


def test_a_batch_records_every_item_in_order(bank: Ledger) -> None:
    batch = bank.record_batch(
        "north",
        [request("north:ann", "north:bob", 30), request("north:ann", "south:dee", 20)],
    )

    assert [record.status for record in batch.exchanges] == ["completed", "pending"]
    positions = [record.position for record in batch.exchanges]
    assert positions == sorted(positions)
    assert batch.position == positions[-1] == events_recorded(bank)
    assert (balance(bank, "north:ann"), balance(bank, "north:bob")) == (30, -30)


def test_each_item_sees_the_balances_left_by_the_items_before_it(bank: Ledger) -> None:
    bank.record_batch(
        "north",
        [request("north:bob", "north:ann", 60), request("north:cy", "north:bob", 100)],
    )

    assert [balance(bank, a) for a in ("north:ann", "north:bob", "north:cy")] == [-60, -40, 100]


def test_an_item_that_would_breach_a_limit_after_earlier_items_refuses_the_batch(
    bank: Ledger,
) -> None:
    before = events_recorded(bank)
    items = [
        request("north:ann", "north:bob", 40),
        request("north:cy", "north:bob", 10),
        request("north:cy", "north:bob", 11),
    ]

    with pytest.raises(CreditLimitExceeded) as refused:
        bank.record_batch("north", items)

    assert refused.value.extra["index"] == 2
    assert refused.value.extra["account"] == "north:bob"
    assert events_recorded(bank) == before
    assert balance(bank, "north:bob") == 0


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (request("north:ann", "north:ann", 10), SameAccount),
        (request("north:ann", "north:nobody", 10), UnknownAccount),
        (request("north:ann", "north:bob", 0), InvalidRequest),
    ],
)
def test_one_bad_item_refuses_the_whole_batch_and_names_its_index(
    bank: Ledger, bad: ExchangeRequest, error: type[Exception]
) -> None:
    before = events_recorded(bank)
    items = [request("north:ann", "north:bob", 10), request("north:bob", "north:cy", 5), bad]

    with pytest.raises(error) as refused:
        bank.record_batch("north", items)

    assert getattr(refused.value, "extra", {})["index"] == 2
    assert events_recorded(bank) == before


def test_a_refused_batch_can_be_sent_again_once_corrected(bank: Ledger) -> None:
    with pytest.raises(SameAccount):
        bank.record_batch("north", [request("north:ann", "north:ann", 10)], idempotency_key="b")

    batch = bank.record_batch("north", [request("north:ann", "north:bob", 10)], idempotency_key="b")

    assert not batch.replayed
    assert balance(bank, "north:bob") == -10


@pytest.mark.parametrize("size", [0, 1001])
def test_a_batch_holds_1_to_1000_exchanges(bank: Ledger, size: int) -> None:
    with pytest.raises(InvalidRequest):
        bank.record_batch("north", [request("north:ann", "north:bob", 1)] * size)


def test_a_batch_of_1000_exchanges_is_accepted(bank: Ledger) -> None:
    bank.change_limits("north:bob", "north", credit_limit=1000)

    batch = bank.record_batch("north", [request("north:ann", "north:bob", 1)] * 1000)

    assert len(batch.exchanges) == 1000
    assert balance(bank, "north:bob") == -1000
