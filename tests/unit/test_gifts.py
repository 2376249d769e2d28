"""Gifts pass credits on: balances move, nothing counts as time given or received."""

from __future__ import annotations

import contextlib
import csv
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import projections
from api.commands.export_csv import write_spreadsheets
from domain.errors import (
    AlreadyReversed,
    CreditLimitExceeded,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    LedgerError,
    SameAccount,
)
from ledger import GiftRequest, Ledger, parse_database_url
from projections.audit_replay import replay_balances
from projections.events import read_log
from tests.unit.support import Clock, balance, events_recorded, give

NORTH = ("north:ann", "north:bob", "north:cy")


def test_a_gift_moves_balances_but_not_given_or_received(bank: Ledger) -> None:
    give(bank, "north", "north:ann", "north:bob", 60)
    bank.make_gift("north", GiftRequest("north:ann", "north:cy", 45, "to the pot"))
    ann, cy = bank.get_account("north:ann"), bank.get_account("north:cy")
    assert (ann.balance, ann.given, ann.received) == (15, 60, 0)
    assert (cy.balance, cy.given, cy.received) == (45, 0, 0)


def test_a_gift_never_takes_the_giver_below_zero(bank: Ledger) -> None:
    give(bank, "north", "north:ann", "north:bob", 30)
    before = events_recorded(bank)
    with pytest.raises(CreditLimitExceeded):
        bank.make_gift("north", GiftRequest("north:ann", "north:cy", 31))
    assert events_recorded(bank) == before
    assert balance(bank, "north:ann") == 30


def test_a_gift_stays_within_one_organisation(bank: Ledger) -> None:
    give(bank, "north", "north:ann", "north:bob", 30)
    with pytest.raises(InvalidRequest):
        bank.make_gift("north", GiftRequest("north:ann", "south:dee", 10))
    with pytest.raises(Forbidden):
        bank.make_gift("south", GiftRequest("north:ann", "north:bob", 10))
    with pytest.raises(SameAccount):
        bank.make_gift("north", GiftRequest("north:ann", "north:ann", 10))


def test_the_same_key_answers_the_first_gift_again_and_a_new_body_is_refused(
    bank: Ledger,
) -> None:
    give(bank, "north", "north:ann", "north:bob", 60)
    first = bank.make_gift("north", GiftRequest("north:ann", "north:cy", 20), "k")
    again = bank.make_gift("north", GiftRequest("north:ann", "north:cy", 20), "k")
    assert (again.id, again.position, again.replayed) == (first.id, first.position, True)
    assert balance(bank, "north:ann") == 40
    with pytest.raises(IdempotencyKeyReused):
        bank.make_gift("north", GiftRequest("north:ann", "north:cy", 21), "k")


def test_a_reversed_gift_gives_the_credits_back_once(bank: Ledger) -> None:
    give(bank, "north", "north:ann", "north:bob", 60)
    gift = bank.make_gift("north", GiftRequest("north:ann", "north:cy", 60))
    assert bank.reverse_gift(gift.id, "north", "made by mistake").status == "reversed"
    assert (balance(bank, "north:ann"), balance(bank, "north:cy")) == (60, 0)
    with pytest.raises(AlreadyReversed):
        bank.reverse_gift(gift.id, None, "again")


ACCOUNTS = (*NORTH, "south:dee")
PARTY = st.integers(0, len(ACCOUNTS) - 1)
STEP = st.one_of(
    st.tuples(st.just("exchange"), PARTY, PARTY, st.sampled_from([15, 60, 120])),
    st.tuples(st.just("gift"), PARTY, PARTY, st.sampled_from([15, 45, 90, 200])),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
)


def reciprocity_of(built: projections.Projections, ledger: Ledger) -> dict[str, Any]:
    built.runner.run_once()
    reads = built.read_models
    figures: dict[str, Any] = {a: reads.reciprocity(a, None, None) for a in ACCOUNTS}
    for org in ("north", "south"):
        summary = reads.summary(org, None, None)
        figures[org] = {k: v for k, v in summary.items() if k != "gifted_minutes"}
        figures[f"{org} participation"] = reads.participation(org, None, None)
    figures["given"] = {a: ledger.get_account(a).given for a in ACCOUNTS}
    figures["received"] = {a: ledger.get_account(a).received for a in ACCOUNTS}
    return figures


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=25))
def test_gifts_conserve_credits_stay_above_zero_and_change_no_reciprocity(
    steps: list[tuple[Any, ...]],
) -> None:
    ledger = Ledger(parse_database_url("memory://"), clock=Clock())
    try:
        ledger.register_organisation("north", "North")
        ledger.register_organisation("south", "South")
        for account_id in ACCOUNTS:
            ledger.open_account(*account_id.split(":"))
        built = projections.build(ledger)
        gifts: list[str] = []
        for step in steps:
            if step[0] == "exchange":
                with contextlib.suppress(LedgerError):
                    giver, receiver = ACCOUNTS[step[1]], ACCOUNTS[step[2]]
                    give(ledger, giver.split(":")[0], giver, receiver, step[3])
                continue
            before = reciprocity_of(built, ledger)
            with contextlib.suppress(LedgerError):
                if step[0] == "gift":
                    donor, recipient = ACCOUNTS[step[1]], ACCOUNTS[step[2]]
                    request = GiftRequest(donor, recipient, step[3])
                    gifts.append(ledger.make_gift(donor.split(":")[0], request).id)
                    assert balance(ledger, donor) >= 0
                elif gifts:
                    ledger.reverse_gift(gifts[step[1] % len(gifts)], None, "undo")
            assert reciprocity_of(built, ledger) == before
            assert sum(balance(ledger, a) for a in ACCOUNTS) == 0
    finally:
        ledger.close()


def test_the_offline_replay_and_the_spreadsheets_count_gifts(bank: Ledger, tmp_path: Any) -> None:
    give(bank, "north", "north:ann", "north:bob", 60)
    kept = bank.make_gift("north", GiftRequest("north:ann", "north:cy", 20))
    undone = bank.make_gift("north", GiftRequest("north:ann", "north:cy", 10))
    bank.reverse_gift(undone.id, "north", "in error")
    events = read_log(bank.recorder, 0, 10**6)
    replayed = replay_balances(e.as_audit() for e in events)
    assert {a: replayed[a] for a in NORTH} == {a: balance(bank, a) for a in NORTH}
    assert replayed["north:ann"] == 40
    _, balances_csv, gifts_csv = write_spreadsheets(bank, tmp_path, "north")
    gifts = list(csv.DictReader(gifts_csv.open()))
    assert [(g["gift_id"], g["status"], g["minutes"]) for g in gifts] == [
        (kept.id, "completed", "20"),
        (undone.id, "reversed", "10"),
    ]
    ann = next(r for r in csv.DictReader(balances_csv.open()) if r["account"] == "north:ann")
    assert (ann["balance"], ann["given"], ann["received"]) == ("40", "60", "0")
