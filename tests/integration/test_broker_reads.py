"""The brokers' pages' reads (projections.broker_reads) on memory, SQLite and Postgres:
search by ref prefix, every sort and filter paged to the end, the statement newest first,
partners net of reversals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ledger import ExchangeRequest, Ledger
from projections import broker_reads, build
from projections.broker_reads import AccountQuery
from projections.setup import Projections

REFS = ["a.1", "a_2", "A-3", "ax", "b-1", "b-2", "c.1"]


@pytest.fixture
def views(ledger: Ledger) -> Projections:
    ledger.register_organisation("north", "North")
    ledger.register_organisation("south", "South")
    for ref in REFS:
        ledger.open_account("north", ref)
    ledger.open_account("south", "s-1")
    for giver, receiver, minutes in [("a.1", "b-1", 60), ("a.1", "b-2", 30), ("b-1", "a_2", 15)]:
        ledger.record_exchange(
            "north", ExchangeRequest(f"north:{giver}", f"north:{receiver}", minutes)
        )
    reversed_ = ledger.record_exchange("north", ExchangeRequest("north:a.1", "north:b-1", 45))
    ledger.reverse_exchange(reversed_.id, "north", "twice")
    built = build(ledger)
    built.runner.run_once()
    return built


def every(views: Projections, **query: Any) -> list[str]:
    refs, after = [], None
    while True:
        rows, after = broker_reads.accounts(
            views.view, AccountQuery("north", after=after, limit=2, **query)
        )
        refs += [row["ref"] for row in rows]
        if after is None:
            return refs


def test_a_prefix_finds_refs_in_any_case_and_takes_wildcards_literally(views: Projections) -> None:
    # Refs order by the database's collation: compare as sets where that could matter.
    found = every(views, prefix="a")
    assert sorted(found) == sorted(["A-3", "a.1", "a_2", "ax"])
    assert every(views, prefix="a_") == ["a_2"]
    assert every(views, prefix="C.") == ["c.1"]
    assert every(views, prefix="%") == []


def test_every_sort_pages_through_every_account_once_in_order(views: Projections) -> None:
    by_balance = every(views, sort="balance", descending=True)
    # +90; three at 0 (in the collation's order of ids); -15, -30, -45.
    assert by_balance[0] == "a.1"
    assert sorted(by_balance[1:4]) == sorted(["A-3", "ax", "c.1"])
    assert by_balance[4:] == ["a_2", "b-2", "b-1"]
    for sort in ("ref", "given", "received", "last_activity"):
        for descending in (False, True):
            found = every(views, sort=sort, descending=descending)
            assert sorted(found) == sorted(REFS), (sort, descending)


def test_the_filters_mark_who_only_gives_only_receives_or_never_took_part(
    views: Projections,
) -> None:
    assert every(views, show="only-gives") == ["a.1"]
    assert every(views, show="only-receives") == ["a_2", "b-2"]
    assert sorted(every(views, show="inactive")) == sorted(["A-3", "ax", "c.1"])
    assert every(views, show="over-limit") == []


def test_the_statement_reads_newest_first_with_reversals(views: Projections) -> None:
    entries, after = broker_reads.latest_statement(views.view, "north:a.1", None, 2)
    assert [(e["minutes"], e["kind"]) for e in entries] == [(-45, "reversal"), (45, "exchange")]
    older, after = broker_reads.latest_statement(views.view, "north:a.1", after, 2)
    assert [e["minutes"] for e in older] == [30, 60]
    assert after is None


def test_partners_count_what_was_not_reversed(views: Projections) -> None:
    partners = broker_reads.partners(views.view, "north:b-1", None, None, 10)
    assert [
        (p["counterparty"], int(p["given"]), int(p["received"]), p["exchanges"]) for p in partners
    ] == [
        ("north:a.1", 0, 60, 1),
        ("north:a_2", 15, 0, 1),
    ]
    assert (
        broker_reads.partners(views.view, "north:b-1", date(2000, 1, 1), date(2000, 1, 2), 10) == []
    )


def test_organisations_are_listed_by_id(views: Projections) -> None:
    rows, after = broker_reads.organisations(views.view, None, 1)
    assert [r["id"] for r in rows] == ["north"]
    rows, after = broker_reads.organisations(views.view, after, 1)
    assert [(r["id"], r["accounts"]) for r in rows] == [("south", 1)]


def test_a_balance_read_with_its_position_agrees_with_the_two_reads_it_replaces(
    views: Projections, ledger: Ledger
) -> None:
    models = views.read_models
    position, row = models.account_now("north:a.1")
    assert (position, row) == (models.position(), models.account("north:a.1"))
    assert row is not None
    assert row["balance"] == 60 + 30 + 45 - 45

    ledger.record_exchange("north", ExchangeRequest("north:a.1", "north:ax", 5))
    assert models.account_now("north:a.1")[0] == position  # not projected yet
    views.runner.run_once()
    later, row = models.account_now("north:a.1")
    assert later > position
    assert row is not None
    assert row["balance"] == 95
    assert models.account_now("north:nobody") == (later, None)
