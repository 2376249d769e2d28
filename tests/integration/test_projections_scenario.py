"""A spring of exchanges worked out by hand: every figure of the organisation summaries and
several reciprocity reads, against numbers written out below.

timebank: t1..t5   dayservice: d1..d4   council: c1..c3          (minutes, category)
  E1  03-05 t1->t2 60 garden      E6  03-20 d1->d2 120 lifts     E9  04-08 c1->c2 45 admin
  E2  03-12 t2->t3 30 care        E7  04-15 d2->d1 60 lifts
  E3  04-02 t3->t1 90 garden      E8  05-03 d3->d4 30 care
  E4  04-20 t1->t4 45 (none)
  E5  05-10 t4->t2 60 care, reversed
  E15 05-28 t2->t1 30 care (t1 and t2 again: one more exchange, no new connection)
Across organisations, each confirmed by the other side unless said otherwise:
  E10 03-25 t5->d3 60 care        E11 04-28 d4->t1 30 garden     E12 05-15 c2->t3 90 lifts
  E13 05-20 t2->c3 30 care, rejected by council
  E14 05-22 d1->c1 60 admin, never confirmed: expired
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

import projections
from ledger import ExchangeRequest, Ledger
from projections.readmodels import LedgerReadModels
from tests.unit.support import Clock

ORGS = {"timebank": 5, "dayservice": 4, "council": 3}
INSIDE = [  # (name, day, giver, receiver, minutes, category)
    ("E1", "03-05", "t1", "t2", 60, "garden"),
    ("E2", "03-12", "t2", "t3", 30, "care"),
    ("E3", "04-02", "t3", "t1", 90, "garden"),
    ("E4", "04-20", "t1", "t4", 45, None),
    ("E5", "05-10", "t4", "t2", 60, "care"),
    ("E15", "05-28", "t2", "t1", 30, "care"),
    ("E6", "03-20", "d1", "d2", 120, "lifts"),
    ("E7", "04-15", "d2", "d1", 60, "lifts"),
    ("E8", "05-03", "d3", "d4", 30, "care"),
    ("E9", "04-08", "c1", "c2", 45, "admin"),
]
ACROSS = [
    ("E10", "03-25", "t5", "d3", 60, "care"),
    ("E11", "04-28", "d4", "t1", 30, "garden"),
    ("E12", "05-15", "c2", "t3", 90, "lifts"),
    ("E13", "05-20", "t2", "c3", 30, "care"),
    ("E14", "05-22", "d1", "c1", 60, "admin"),
]

ACROSS_BY_NAME = {item[0]: item for item in ACROSS}


def account(short: str) -> str:
    org = next(o for o in ORGS if o.startswith(short[0]))
    return f"{org}:{short}"


@dataclass
class Spring:
    reads: LedgerReadModels
    ids: dict[str, str]


@pytest.fixture
def spring(make_ledger: Callable[..., Ledger]) -> Spring:
    clock = Clock()  # 2024-06-01
    ledger = make_ledger(clock=clock)
    for org, members in ORGS.items():
        ledger.register_organisation(org, org.title(), pending_expiry_days=7)
        for n in range(1, members + 1):
            ledger.open_account(org, f"{org[0]}{n}")
    ids = {}
    for name, day, giver, receiver, minutes, category in INSIDE + ACROSS:
        request = ExchangeRequest(
            account(giver), account(receiver), minutes, date.fromisoformat(f"2024-{day}"), category
        )
        ids[name] = ledger.record_exchange(account(giver).split(":")[0], request).id
    for name in ("E10", "E11", "E12"):
        ledger.confirm_exchange(ids[name], account(ACROSS_BY_NAME[name][3]).split(":")[0])
    ledger.reject_exchange(ids["E13"], "council", "not one of ours")
    ledger.reverse_exchange(ids["E5"], "timebank", "recorded for the wrong member")
    clock.advance(8)
    ledger.expire_exchange(ids["E14"])
    built = projections.build(ledger)
    built.runner.run_once()
    return Spring(built.read_models, ids)


SPRING = (date(2024, 4, 1), date(2024, 5, 31))


def test_the_timebank_summary_over_all_time(spring: Spring) -> None:
    assert spring.reads.summary("timebank", None, None) == {
        "organisation": "timebank",
        "from": None,
        "to": None,
        "accounts": 5,
        "active_accounts": 5,
        "gave_and_received": 3,  # t1, t2, t3; t4's only gift was reversed, t5 only gave
        "exchanges": 8,  # E1-E4, E10, E11, E12, E15
        "minutes": 435,
        "cross_organisation_minutes": 180,  # E10 60 + E11 30 + E12 90
        "connections": 7,  # E15 repeats t1-t2
        "by_category": {"care": 120, "garden": 180, "lifts": 90, "uncategorised": 45},
        "by_month": [
            {"month": "2024-03", "exchanges": 3, "minutes": 150, "active_accounts": 4},
            {"month": "2024-04", "exchanges": 3, "minutes": 165, "active_accounts": 3},
            {"month": "2024-05", "exchanges": 2, "minutes": 120, "active_accounts": 3},
        ],
        "gifted_minutes": 0,  # no gift in this history
    }


def test_the_timebank_summary_over_april_and_may(spring: Spring) -> None:
    assert spring.reads.summary("timebank", *SPRING) == {
        "organisation": "timebank",
        "from": "2024-04-01",
        "to": "2024-05-31",
        "accounts": 5,
        "active_accounts": 4,  # t1, t2, t3, t4
        "gave_and_received": 2,  # t1 and t3
        "exchanges": 5,  # E3, E4, E11, E12, E15
        "minutes": 285,
        "cross_organisation_minutes": 120,
        "connections": 5,
        "by_category": {"care": 30, "garden": 120, "lifts": 90, "uncategorised": 45},
        "by_month": [
            {"month": "2024-04", "exchanges": 3, "minutes": 165, "active_accounts": 3},
            {"month": "2024-05", "exchanges": 2, "minutes": 120, "active_accounts": 3},
        ],
        "gifted_minutes": 0,  # no gift in this history
    }


def test_the_day_service_summary_leaves_out_the_expired_exchange(spring: Spring) -> None:
    assert spring.reads.summary("dayservice", None, None) == {
        "organisation": "dayservice",
        "from": None,
        "to": None,
        "accounts": 4,
        "active_accounts": 4,
        "gave_and_received": 4,
        "exchanges": 5,  # E6, E7, E8, E10, E11
        "minutes": 300,
        "cross_organisation_minutes": 90,
        "connections": 4,  # d1-d2 twice, d3-d4, t5-d3, d4-t1
        "by_category": {"care": 90, "garden": 30, "lifts": 180},
        "by_month": [
            {"month": "2024-03", "exchanges": 2, "minutes": 180, "active_accounts": 3},
            {"month": "2024-04", "exchanges": 2, "minutes": 90, "active_accounts": 3},
            {"month": "2024-05", "exchanges": 1, "minutes": 30, "active_accounts": 2},
        ],
        "gifted_minutes": 0,  # no gift in this history
    }


def test_the_council_summary_leaves_out_the_rejected_and_expired_exchanges(
    spring: Spring,
) -> None:
    everything = spring.reads.summary("council", None, None)
    assert everything == {
        "organisation": "council",
        "from": None,
        "to": None,
        "accounts": 3,
        "active_accounts": 2,  # c3 was only in the rejected E13
        "gave_and_received": 1,  # c2
        "exchanges": 2,  # E9, E12
        "minutes": 135,
        "cross_organisation_minutes": 90,
        "connections": 2,
        "by_category": {"admin": 45, "lifts": 90},
        "by_month": [
            {"month": "2024-04", "exchanges": 1, "minutes": 45, "active_accounts": 2},
            {"month": "2024-05", "exchanges": 1, "minutes": 90, "active_accounts": 1},
        ],
        "gifted_minutes": 0,
    }
    may = spring.reads.summary("council", date(2024, 5, 1), date(2024, 5, 31))
    assert {k: may[k] for k in ("exchanges", "minutes", "active_accounts", "connections")} == {
        "exchanges": 1,
        "minutes": 90,
        "active_accounts": 1,
        "connections": 1,
    }
    assert may["gave_and_received"] == 0


def reciprocity(given: int, received: int, *counts: int, both: bool) -> dict[str, object]:
    names = ("exchanges_given", "exchanges_received", "partners_given_to")
    names += ("partners_received_from", "distinct_partners")
    return {"given": given, "received": received, **dict(zip(names, counts, strict=True))} | {
        "gave_and_received": both
    }


@pytest.mark.parametrize(
    ("member", "start", "end", "expected"),
    [
        ("t1", None, None, reciprocity(105, 150, 2, 3, 2, 3, 4, both=True)),
        ("t1", date(2024, 4, 1), date(2024, 4, 30), reciprocity(45, 120, 1, 2, 1, 2, 3, both=True)),
        ("t4", None, None, reciprocity(0, 45, 0, 1, 0, 1, 1, both=False)),  # E5 reversed
        ("t2", date(2024, 5, 1), None, reciprocity(30, 0, 1, 0, 1, 0, 1, both=False)),
        ("c3", None, None, reciprocity(0, 0, 0, 0, 0, 0, 0, both=False)),  # E13 rejected
        ("d1", None, None, reciprocity(120, 60, 1, 1, 1, 1, 1, both=True)),  # E14 expired
    ],
)
def test_reciprocity_by_hand(
    spring: Spring, member: str, start: date | None, end: date | None, expected: object
) -> None:
    assert spring.reads.reciprocity(account(member), start, end) == expected


def test_balances_statements_and_statuses_by_hand(spring: Spring) -> None:
    t1 = spring.reads.account("timebank:t1")
    assert t1 is not None
    assert (t1["balance"], t1["given"], t1["received"]) == (-45, 105, 150)
    entries, _ = spring.reads.statement("timebank:t4", None, 10)
    assert [(e["minutes"], e["balance"], e["kind"]) for e in entries] == [
        (-45, -45, "exchange"),
        (60, 15, "exchange"),
        (-60, -45, "reversal"),
    ]
    shown = {name: spring.reads.exchange(i) for name, i in spring.ids.items()}
    assert {name: e["status"] for name, e in shown.items() if e} == {
        **dict.fromkeys(spring.ids, "completed"),
        "E5": "reversed",
        "E13": "rejected",
        "E14": "expired",
    }
    assert spring.reads.pending("council", None, 10) == ([], None)


def test_a_balance_as_of_a_day_counts_what_was_recorded_by_its_end(spring: Spring) -> None:
    today = datetime.now(UTC).date()  # when the events were recorded, whatever their dates
    now = spring.reads.account("timebank:t1")
    assert spring.reads.account("timebank:t1", as_of=today) == now
    assert spring.reads.account("timebank:t1", as_of=today - timedelta(days=1)) is None
