"""Reads cost the same whatever the size of the history: counted in queries and in rows the
database examines (Postgres's own EXPLAIN ANALYZE counts), never in seconds.

The same reads run over a small history and over one ten times larger, where the extra
history is other members' exchanges and the member's own exchanges outside the range read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest

import projections
from ledger import ExchangeRequest, Ledger
from projections.readmodels import LedgerReadModels
from projections.store import ViewStore
from tests.integration.projection_support import fresh_ledger
from tests.unit.support import Clock

MEMBERS = [f"north:m{i}" for i in range(40)]
FOCUS = MEMBERS[0]
RANGE = (date(2024, 5, 1), date(2024, 5, 14))  # the focus member's fixed fortnight
YEAR = (date(2024, 1, 1), date(2024, 12, 31))  # every one of its days has exchanges either way


def grow(ledger: Ledger, clock: Clock, others: int) -> None:
    """The focus member's fortnight (the same every time), then `others` more exchanges:
    the focus member's own before the fortnight, and other members' at any time."""
    requests = [
        ExchangeRequest(FOCUS, MEMBERS[1 + n % 5], 30, RANGE[0] + timedelta(days=n), "care")
        for n in range(10)
    ]
    for n in range(others):
        giver = FOCUS if n % 10 == 0 else MEMBERS[1 + n % 39]
        days_back = 31 + n % 200 if giver == FOCUS else n % 200
        day = date(2024, 5, 31) - timedelta(days=days_back)
        receiver = MEMBERS[1 + (n % 39 + 1 + n % 7) % 39]  # never the giver
        requests.append(ExchangeRequest(giver, receiver, 15, day, "lifts"))
    for start in range(0, len(requests), 1000):
        ledger.record_batch("north", requests[start : start + 1000])


def reads_of(reads: LedgerReadModels) -> dict[str, Callable[[], Any]]:
    return {
        "balance": lambda: reads.account(FOCUS),
        "balance at a position": lambda: reads.account(FOCUS, at_position=20),
        "balance as of a date": lambda: reads.account(FOCUS, as_of=date(2024, 6, 1)),
        "statement page": lambda: reads.statement(FOCUS, "30", 20),
        "reciprocity": lambda: reads.reciprocity(FOCUS, *RANGE),
        "exchanges of an account": lambda: reads.exchanges(account=FOCUS, limit=20),
        "exchanges of an organisation": lambda: reads.exchanges(organisation="north", limit=20),
        # Kept counts: the days and months of the year, however many exchanges it holds.
        "summary of a calendar year": lambda: reads.summary("north", *YEAR),
    }


class Recorder:
    """Every statement a read sends, kept to be explained afterwards."""

    def __init__(self, view: ViewStore) -> None:
        self.view = view
        self.sent: list[tuple[str, tuple[Any, ...]]] = []
        self._read = view.read
        self._consistent = view.consistent

    def read(self, statement: str, params: Any = ()) -> list[dict[str, Any]]:
        self.sent.append((statement, tuple(params)))
        return self._read(statement, params)

    @contextmanager
    def consistent(self) -> Iterator[Callable[..., list[dict[str, Any]]]]:
        with self._consistent() as read:

            def recorded(statement: str, params: Any = ()) -> list[dict[str, Any]]:
                self.sent.append((statement, tuple(params)))
                return read(statement, params)

            yield recorded


def rows_examined(view: ViewStore, statement: str, params: tuple[Any, ...]) -> int:
    with view.transaction() as cursor:
        # Over tables this small the planner may rightly prefer a plain or bitmap scan; at
        # scale it walks the index. Ruling the others out measures the index path: if a read
        # had none, it would still scan, and the counts below would grow with the history.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params).all()
    return sum(_scanned(node) for node in _nodes(plan[0]["QUERY PLAN"][0]["Plan"]))


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _scanned(node: dict[str, Any]) -> int:
    """Rows a scan of a table or index produced or threw away."""
    if "Scan" not in node["Node Type"] or "Subquery" in node["Node Type"]:
        return 0
    kept = node["Actual Rows"] * node["Actual Loops"]
    return int(kept + node.get("Rows Removed by Filter", 0))


def cost(backend: str, others: int) -> dict[str, tuple[int, int]]:
    """(queries, rows examined) of each read, over a history of this size."""
    clock = Clock()
    with fresh_ledger(backend, clock) as ledger:
        ledger.register_organisation("north", "North", credit_limit=100_000)
        for member in MEMBERS:
            ledger.open_account("north", member.split(":")[1])
        grow(ledger, clock, others)
        built = projections.build(ledger, page=5000)
        built.runner.run_once()
        with built.view.transaction() as cursor:
            for table in ("accounts", "statements", "day_positions", "exchanges", "org_days"):
                cursor.execute(f"ANALYZE {{{table}}}")
        found = {}
        for name, read in reads_of(built.read_models).items():
            recorder = Recorder(built.view)
            built.view.read = recorder.read  # type: ignore[method-assign]
            built.view.consistent = recorder.consistent  # type: ignore[method-assign]
            read()
            built.view.read = recorder._read  # type: ignore[method-assign]
            built.view.consistent = recorder._consistent  # type: ignore[method-assign]
            examined = sum(rows_examined(built.view, *sent) for sent in recorder.sent)
            found[name] = (len(recorder.sent), examined)
        return found


def test_reads_of_one_member_and_of_a_year_cost_the_same_over_ten_times_the_history() -> None:
    small, large = cost("postgres", others=400), cost("postgres", others=4000)
    assert large == small
    # And the amounts themselves: one or two index look-ups; a page; the fortnight's rows.
    assert large["balance"] == (1, 1)
    assert large["balance at a position"][1] <= 2
    assert large["balance as of a date"][1] <= 3
    assert large["statement page"][1] <= 21
    assert large["reciprocity"][1] == 10
    # The focus member is in one exchange in ten: walking the position index and keeping
    # its exchanges is a fair plan too, and still a page's worth of rows, not the history.
    assert large["exchanges of an account"][1] <= 10 * 21
    assert large["exchanges of an organisation"][1] <= 2 * 21
    # A year: at most a row per day (one category a day here) and per month, and one of
    # counts, against the 4,000 statement rows counting the year's exchanges would read.
    assert large["summary of a calendar year"][1] <= 366 + 12 + 2


@pytest.mark.parametrize("read", ["reciprocity", "statement page", "balance at a position"])
def test_sqlite_answers_each_read_from_an_index(read: str) -> None:
    clock = Clock()
    with fresh_ledger("sqlite", clock) as ledger:
        ledger.register_organisation("north", "North", credit_limit=100_000)
        for member in MEMBERS[:6]:
            ledger.open_account("north", member.split(":")[1])
        built = projections.build(ledger)
        recorder = Recorder(built.view)
        built.view.read = recorder.read  # type: ignore[method-assign]
        reads_of(built.read_models)[read]()
        for statement, params in recorder.sent:
            plan = recorder._read("EXPLAIN QUERY PLAN " + statement, params)
            steps = [str(row["detail"]) for row in plan]
            tables = ("statements", "accounts", "day_positions")
            assert not [s for s in steps if s.startswith("SCAN") and s.split()[1] in tables]
