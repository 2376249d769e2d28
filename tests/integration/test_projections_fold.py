"""Random histories: every read model equals a plain fold over the event log, on every
backend, whatever the page size, after incremental runs and after a pipelined rebuild."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import projections
from domain.errors import LedgerError
from ledger import ExchangeRequest, GiftRequest, Ledger
from projections.pipeline import catch_up_pipelined
from tests.integration.projection_support import (
    assert_reads_equal_the_fold,
    fold_of,
    fresh_ledger,
)
from tests.unit.support import Clock

ACCOUNTS = ("north:ann", "north:bob", "north:cy", "south:dee", "south:eli", "east:fay")
CATEGORIES = st.sampled_from([None, "garden", "care", "lifts"])
PARTY = st.integers(0, len(ACCOUNTS) - 1)
OTHER = st.integers(1, len(ACCOUNTS) - 1)  # the receiver, counted on from the giver
EXCHANGE = st.tuples(PARTY, OTHER, st.sampled_from([15, 30, 45, 60, 150]), st.integers(0, 45))
OPERATION = st.one_of(
    st.tuples(
        st.just("record"), EXCHANGE, CATEGORIES, st.booleans(), st.sampled_from(["k1", "k2", None])
    ),
    st.tuples(st.just("batch"), st.lists(EXCHANGE, min_size=1, max_size=4), CATEGORIES),
    st.tuples(st.sampled_from(["confirm", "confirm", "reverse", "reject"]), st.integers(0, 99)),
    st.tuples(st.sampled_from(["confirm", "reverse", "expire"]), st.integers(0, 99)),
    st.tuples(st.just("limits"), PARTY, st.sampled_from([0, 30, 120, 600])),
    st.tuples(st.just("close"), PARTY),
    st.tuples(st.just("gift"), PARTY, st.sampled_from([15, 30, 90]), st.booleans()),
    st.tuples(st.just("reverse_gift"), st.integers(0, 99)),
    st.tuples(
        st.just("reporting"), st.sampled_from(["north", "south"]), st.sampled_from([None, 3])
    ),
    st.tuples(st.just("time"), st.integers(1, 9)),
    st.tuples(st.just("project"), st.integers(1, 7)),
)
HISTORY = st.lists(OPERATION, min_size=5, max_size=40)
EXAMPLES = {"memory": 40, "sqlite": 20, "postgres": 12}


def open_bank(ledger: Ledger) -> None:
    for org in ("north", "south", "east"):
        ledger.register_organisation(org, org.title(), credit_limit=120, pending_expiry_days=7)
    for account_id in ACCOUNTS:
        org, ref = account_id.split(":")
        ledger.open_account(org, ref)


class History:
    """Drives the ledger; refusals are part of a history and record nothing."""

    def __init__(self, ledger: Ledger, clock: Clock, built: projections.Projections) -> None:
        self.ledger, self.clock, self.built = ledger, clock, built
        self.exchanges: list[str] = []
        self.gifts: list[str] = []

    def request(self, item: tuple[int, int, int, int], category: str | None) -> ExchangeRequest:
        giver, other, minutes, days_ago = item
        receiver = ACCOUNTS[(giver + other) % len(ACCOUNTS)]
        service_date = self.clock.today() - timedelta(days=days_ago)
        return ExchangeRequest(ACCOUNTS[giver], receiver, minutes, service_date, category)

    def run(self, operation: tuple[Any, ...]) -> None:
        with contextlib.suppress(LedgerError):
            getattr(self, operation[0])(*operation[1:])

    def record(self, item: Any, category: str | None, by_giver: bool, key: str | None) -> None:
        request = self.request(item, category)
        org = (request.giver if by_giver else request.receiver).split(":")[0]
        self.exchanges.append(self.ledger.record_exchange(org, request, key_id=key).id)

    def batch(self, items: list[Any], category: str | None) -> None:
        requests = [self.request(item, category) for item in items]
        org = requests[0].giver.split(":")[0]
        recorded = self.ledger.record_batch(org, requests, key_id="k1")
        self.exchanges += [e.id for e in recorded.exchanges]

    def _pick(self, index: int) -> str:
        if not self.exchanges:
            raise LedgerError("nothing recorded yet")
        return self.exchanges[index % len(self.exchanges)]

    def confirm(self, index: int) -> None:
        self.ledger.confirm_exchange(self._pick(index), None)

    def reject(self, index: int) -> None:
        self.ledger.reject_exchange(self._pick(index), None, "not ours")

    def expire(self, index: int) -> None:
        self.ledger.expire_exchange(self._pick(index))

    def reverse(self, index: int) -> None:
        self.ledger.reverse_exchange(self._pick(index), None, "recorded in error")

    def limits(self, party: int, credit_limit: int) -> None:
        self.ledger.change_limits(ACCOUNTS[party], None, credit_limit=credit_limit)

    def close(self, party: int) -> None:
        self.ledger.close_account(ACCOUNTS[party], None)

    def gift(self, party: int, minutes: int, to_another_org: bool) -> None:
        """From whoever in the party's organisation has the most credits (a gift needs
        some), to the next member, or to someone outside (refused)."""
        org = ACCOUNTS[party].split(":")[0]
        members = [a for a in ACCOUNTS if a.startswith(f"{org}:")]
        donor = max(members, key=lambda a: self.ledger.get_account(a).balance)
        others = [a for a in ACCOUNTS if (a in members) != to_another_org and a != donor]
        if not others:
            raise LedgerError("nobody to give to")
        request = GiftRequest(
            donor, others[0], min(minutes, self.ledger.get_account(donor).balance)
        )
        self.gifts.append(self.ledger.make_gift(org, request).id)

    def reverse_gift(self, index: int) -> None:
        if not self.gifts:
            raise LedgerError("no gift yet")
        self.ledger.reverse_gift(self.gifts[index % len(self.gifts)], None, "in error")

    def reporting(self, org: str, min_count: int | None) -> None:
        self.ledger.set_report_min_count(org, min_count)

    def time(self, days: int) -> None:
        self.clock.advance(days)

    def project(self, page: int) -> None:
        self.built.runner.page = page
        self.built.runner.run_once()


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgres"])
def test_every_read_model_equals_a_fold_over_the_log(backend: str) -> None:
    @settings(
        max_examples=EXAMPLES[backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(history=HISTORY, page=st.integers(1, 50))
    def check(history: list[tuple[Any, ...]], page: int) -> None:
        clock = Clock()
        with fresh_ledger(backend, clock) as ledger:
            built = projections.build(ledger, page=page)
            open_bank(ledger)
            driver = History(ledger, clock, built)
            for operation in history:
                driver.run(operation)
            built.runner.page = page
            built.runner.run_once()
            fold = fold_of(ledger)
            assert_reads_equal_the_fold(built.read_models, fold, ledger.today())
            # A rebuild from zero, pipelined, in pages of another size: the same answers.
            built.views.drop_tables()
            catch_up_pipelined(ledger.recorder, built.views, page * 3 + 1)
            assert_reads_equal_the_fold(built.read_models, fold, ledger.today())

    check()
