"""A small timebank worked out by hand: months, cohorts, gifts and small numbers hidden,
through the API, on SQLite and Postgres. Reversals and exchanges with another organisation
included.

north: a, b, c, d, e        south: s
  1. a -> b  2024-01-10                 5. e -> d  2024-01-20, reversed
  2. c -> a  2024-02-05                 6. s -> e  2024-03-15 (south records, north confirms)
  3. b -> s  2024-02-20 (north records, south confirms)
  4. d -> c  2024-03-03                 7. a -> c  2024-03-25
  8. b -> s  2024-03-01, left pending   and a gift of 30 minutes from a to b.

Without the reversal d and e would have started in January; with it, d's first month is
March (his cohort moves) and e's is March too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from ledger import ExchangeRequest, GiftRequest, Ledger
from tests.integration.projection_support import fresh_ledger
from tests.integration.web_support import pages_of
from tests.unit.support import Clock

TODAY = datetime(2024, 6, 15, 12, tzinfo=UTC)
RANGE = {"from": "2024-01", "to": "2024-03"}


@dataclass
class Bank:
    get: Any
    ledger: Ledger
    admin: dict[str, str]
    gift_id: str

    def read(self, path: str, **params: Any) -> dict[str, Any]:
        params["min_position"] = self.ledger.head_position()
        answer = self.get(path, params=params, headers=self.admin)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


def exchange(ledger: Ledger, by: str, giver: str, receiver: str, day: str) -> str:
    request = ExchangeRequest(giver, receiver, 60, date.fromisoformat(day))
    return ledger.record_exchange(by, request).id


def history(ledger: Ledger) -> str:
    ledger.register_organisation("north", "North")
    ledger.register_organisation("south", "South")
    for ref in "abcde":
        ledger.open_account("north", ref)
    ledger.open_account("south", "s")
    exchange(ledger, "north", "north:a", "north:b", "2024-01-10")
    exchange(ledger, "north", "north:c", "north:a", "2024-02-05")
    ledger.confirm_exchange(exchange(ledger, "north", "north:b", "south:s", "2024-02-20"), "south")
    exchange(ledger, "north", "north:d", "north:c", "2024-03-03")
    mistaken = exchange(ledger, "north", "north:e", "north:d", "2024-01-20")
    ledger.reverse_exchange(mistaken, "north", "recorded for the wrong member")
    ledger.confirm_exchange(exchange(ledger, "south", "south:s", "north:e", "2024-03-15"), "north")
    exchange(ledger, "north", "north:a", "north:c", "2024-03-25")
    exchange(ledger, "north", "north:b", "south:s", "2024-03-01")
    return ledger.make_gift("north", GiftRequest("north:a", "north:b", 30)).id


@pytest.fixture(params=["sqlite", "postgres"])
def bank(request: pytest.FixtureRequest) -> Iterator[Bank]:
    with fresh_ledger(request.param, Clock(TODAY)) as ledger:
        gift_id = history(ledger)
        with pages_of(ledger, broker="unused") as pages:
            admin = {"authorization": "Bearer operator-key-for-tests"}
            yield Bank(pages.client.get, ledger, admin, gift_id)


def month(name: str, *counts: int) -> dict[str, Any]:
    keys = ("active", "new", "returning", "givers", "receivers", "gave_and_received")
    return {"month": name, **dict(zip(keys, counts, strict=True))}


def test_months_and_cohorts_count_each_member_once_a_month_as_worked_out_by_hand(
    bank: Bank,
) -> None:
    report = bank.read("/v1/organisations/north/participation", **RANGE)
    assert (report["from"], report["to"]) == ("2024-01", "2024-03")
    assert report["months"] == [
        month("2024-01", 2, 2, 0, 1, 1, 0),
        month("2024-02", 3, 1, 2, 2, 1, 0),
        month("2024-03", 4, 2, 2, 2, 2, 0),
    ]
    assert report["cohorts"] == [
        {"cohort": "2024-01", "size": 2, "active": [2, 2, 1]},
        {"cohort": "2024-02", "size": 1, "active": [1, 1]},
        {"cohort": "2024-03", "size": 2, "active": [2]},
    ]
    assert report["suppressed"] == []


def test_the_other_organisation_counts_its_own_member_in_the_exchanges_across(
    bank: Bank,
) -> None:
    report = bank.read("/v1/organisations/south/participation", **RANGE)
    assert report["months"] == [
        month("2024-01", 0, 0, 0, 0, 0, 0),
        month("2024-02", 1, 1, 0, 0, 1, 0),
        month("2024-03", 1, 0, 1, 1, 0, 0),
    ]
    assert report["cohorts"] == [{"cohort": "2024-02", "size": 1, "active": [1, 1]}]


def test_small_counts_are_hidden_with_every_cell_a_total_would_give_back(bank: Bank) -> None:
    report = bank.read("/v1/organisations/north/participation", **RANGE, min_count=2)
    none = None
    assert report["months"] == [
        month("2024-01", none, 2, none, none, none, none),  # type: ignore[arg-type]
        month("2024-02", 3, none, none, 2, none, none),  # type: ignore[arg-type]
        month("2024-03", 4, 2, 2, none, 2, none),  # type: ignore[arg-type]
    ]
    assert report["cohorts"] == [
        {"cohort": "2024-01", "size": 2, "active": [2, None, None]},
        {"cohort": "2024-02", "size": None, "active": [None, None]},
        {"cohort": "2024-03", "size": 2, "active": [2]},
    ]
    assert report["suppressed"] == [
        "cohorts[2024-01].active[2024-02]",
        "cohorts[2024-01].active[2024-03]",
        "cohorts[2024-02].active[2024-02]",
        "cohorts[2024-02].active[2024-03]",
        "cohorts[2024-02].size",
        "months[2024-01].active",
        "months[2024-01].gave_and_received",
        "months[2024-01].givers",
        "months[2024-01].receivers",
        "months[2024-01].returning",
        "months[2024-02].gave_and_received",
        "months[2024-02].new",
        "months[2024-02].receivers",
        "months[2024-02].returning",
        "months[2024-03].gave_and_received",
        "months[2024-03].givers",
    ]


def test_the_summary_hides_small_counts_of_people_and_adds_the_gifted_minutes(
    bank: Bank,
) -> None:
    span = {"from": "2024-01-01", "to": "2024-03-31"}
    summary = bank.read("/v1/organisations/north/summary", **span, min_count=3)
    figures = ("accounts", "active_accounts", "gave_and_received", "connections")
    assert [summary[key] for key in figures] == [5, 5, 3, 5]
    assert [m["active_accounts"] for m in summary["by_month"]] == [None, 3, 4]
    assert summary["suppressed"] == ["by_month[2024-01].active_accounts"]
    assert (summary["exchanges"], summary["minutes"]) == (6, 360)
    assert summary["gifted_minutes"] == 0  # the gift was made in June
    small = bank.read("/v1/organisations/north/summary", **span, min_count=6)
    assert [small[key] for key in figures] == [None, None, None, None]
    assert small["suppressed"][:4] == [
        "accounts",
        "active_accounts",
        "by_month[2024-01].active_accounts",
        "by_month[2024-02].active_accounts",
    ]
    everything = bank.read("/v1/organisations/north/summary")
    assert (everything["gifted_minutes"], everything["suppressed"]) == (30, [])


def test_a_gift_moves_balances_and_nothing_else(bank: Bank) -> None:
    a = bank.read("/v1/accounts/north:a")
    assert (a["balance"], a["given"], a["received"]) == (60 - 30, 120, 60)
    entries = bank.read("/v1/accounts/north:b/statement")["entries"]
    assert entries[-1]["kind"] == "gift"
    assert (entries[-1]["exchange_id"], entries[-1]["minutes"]) == (bank.gift_id, 30)
    reciprocity = bank.read("/v1/accounts/north:a/reciprocity")
    assert reciprocity["distinct_partners"] == 2  # b and c, the gift to b adds nothing
    report = bank.read("/v1/organisations/north/participation", **RANGE)
    assert report["months"][2]["active"] == 4
