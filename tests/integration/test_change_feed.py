"""The change feed: each organisation sees exactly the changes that concern it, in log order,
with the exchange as it stood after each change; expiries are recorded once, as events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import projections
from ledger import ExchangeRequest, Ledger
from projections.expiry import expire_overdue
from projections.setup import Projections
from tests.unit.support import Clock

Change = tuple[str, str | None]  # (type, the exchange's status or the account's)


def feed_of(projections_: Projections, org: str, key: str | None = None) -> list[dict[str, Any]]:
    projections_.runner.run_once()
    changes: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page, after = projections_.read_models.changes(org, after, 2, key)
        if not page:
            return changes
        changes += page


def summary(changes: list[dict[str, Any]]) -> list[Change]:
    return [
        (c["type"], (c.get("exchange") or c.get("account") or {}).get("status")) for c in changes
    ]


def two_partners(ledger: Ledger) -> tuple[list[str], list[str]]:
    ledger.register_organisation("north", "North", pending_expiry_days=3)
    ledger.register_organisation("south", "South", pending_expiry_days=3)
    north = [ledger.open_account("north", ref).id for ref in ("n1", "n2")]
    south = [ledger.open_account("south", ref).id for ref in ("s1", "s2")]
    return north, south


def test_each_organisation_follows_the_changes_that_concern_it_in_order(
    make_ledger: Callable[..., Ledger],
) -> None:
    clock = Clock()
    ledger = make_ledger(clock=clock)
    views = projections.build(ledger)
    north, south = two_partners(ledger)
    reversed_ = ledger.record_exchange("north", ExchangeRequest(north[0], south[0], 60)).id
    ledger.confirm_exchange(reversed_, "south")
    ledger.reverse_exchange(reversed_, "north", "entered twice")
    rejected = ledger.record_exchange("south", ExchangeRequest(south[1], north[1], 30)).id
    ledger.reject_exchange(rejected, "north", "not ours")
    expired = ledger.record_exchange("north", ExchangeRequest(north[1], south[1], 45)).id
    ledger.record_exchange("south", ExchangeRequest(south[0], south[1], 15))  # inside south
    ledger.change_limits(north[0], "north", credit_limit=900)
    ledger.close_account(north[1], "north")

    clock.advance(4)
    views.runner.run_once()
    assert expire_overdue(views.view, ledger) == 1
    assert expire_overdue(views.view, ledger) == 0  # once: the second pass finds it expired

    north_feed = feed_of(views, "north")
    assert summary(north_feed) == [
        ("account.opened", "open"),
        ("account.opened", "open"),
        ("exchange.recorded", "pending"),
        ("exchange.confirmed", "completed"),
        ("exchange.reversed", "reversed"),
        ("exchange.recorded", "pending"),
        ("exchange.rejected", "rejected"),
        ("exchange.recorded", "pending"),
        ("account.limits_changed", "open"),
        ("account.closed", "closed"),
        ("exchange.expired", "expired"),
    ]
    assert summary(feed_of(views, "south")) == [
        ("account.opened", "open"),
        ("account.opened", "open"),
        ("exchange.recorded", "pending"),
        ("exchange.confirmed", "completed"),
        ("exchange.reversed", "reversed"),
        ("exchange.recorded", "pending"),
        ("exchange.rejected", "rejected"),
        ("exchange.recorded", "pending"),
        ("exchange.recorded", "completed"),
        ("exchange.expired", "expired"),
    ]
    positions = [c["position"] for c in north_feed]
    assert positions == sorted(set(positions))
    ids = [c["exchange"]["id"] for c in north_feed if "exchange" in c]
    assert ids == [reversed_] * 3 + [rejected] * 2 + [expired] * 2
    limits = north_feed[8]["account"]
    assert (limits["id"], limits["credit_limit"]) == (north[0], 900)


def test_the_exchange_in_a_change_is_the_exchange_as_read_with_the_status_it_left(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger(clock=Clock())
    views = projections.build(ledger)
    north, south = two_partners(ledger)
    exchange_id = ledger.record_exchange(
        "north", ExchangeRequest(north[0], south[0], 60, category="garden"), key_id="k1"
    ).id
    ledger.confirm_exchange(exchange_id, "south")
    recorded, confirmed = feed_of(views, "north")[-2:]
    as_read = views.read_models.exchange(exchange_id)
    assert confirmed["exchange"] == as_read
    assert recorded["exchange"] == {**as_read, "status": "pending"}  # type: ignore[dict-item]


def test_a_poster_follows_only_the_exchanges_its_key_recorded(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger(clock=Clock())
    views = projections.build(ledger)
    north, _ = two_partners(ledger)
    mine = ledger.record_exchange("north", ExchangeRequest(north[0], north[1], 5), key_id="p1").id
    ledger.record_exchange("north", ExchangeRequest(north[1], north[0], 5), key_id="p2")
    ledger.reverse_exchange(mine, "north", "wrong day")
    seen = feed_of(views, "north", key="p1")
    assert [(c["type"], c["exchange"]["id"]) for c in seen] == [
        ("exchange.recorded", mine),
        ("exchange.reversed", mine),
    ]


def test_on_an_existing_ledger_the_first_pass_records_every_overdue_expiry(
    make_ledger: Callable[..., Ledger],
) -> None:
    clock = Clock()
    ledger = make_ledger(clock=clock)
    views = projections.build(ledger)
    north, south = two_partners(ledger)
    ids = [
        ledger.record_exchange("north", ExchangeRequest(north[0], south[0], m)).id
        for m in range(1, 8)
    ]
    clock.advance(4)
    views.runner.run_once()
    before = views.read_models.exchange(ids[0])
    assert before is not None
    assert before["status"] == "expired"  # read as expired already, before it is recorded
    assert expire_overdue(views.view, ledger, batch=3) == 7  # several pages of them
    views.runner.run_once()
    assert [views.read_models.exchange(i)["status"] for i in ids] == ["expired"] * 7  # type: ignore[index]
    assert summary(feed_of(views, "south"))[-7:] == [("exchange.expired", "expired")] * 7


def test_an_account_change_shows_the_account_as_it_stood_just_after_it(
    make_ledger: Callable[..., Ledger],
) -> None:
    """Closed, then its limit changed, in one page of the projection: the closing shows the
    old limit, and the account stays closed after the new one."""
    ledger = make_ledger()
    views = projections.build(ledger)
    north, _ = two_partners(ledger)
    ledger.close_account(north[0], "north")
    ledger.change_limits(north[0], "north", credit_limit=900)
    accounts = [c["account"] for c in feed_of(views, "north")[-2:]]
    assert [(a["status"], a["credit_limit"]) for a in accounts] == [
        ("closed", 600),
        ("closed", 900),
    ]
