"""Recording an exchange costs the same whether an account has 10 or 2,000 events behind it.

The recorder is instrumented: we count the reads it serves (calls and rows) and the
inserts, never wall time. Hot: the aggregate cache holds both accounts, so a write reads
nothing. Cold: a new ledger on the same database reads the latest snapshot (one every
100 events) and the events after it, never the whole history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ledger import ExchangeRequest, Ledger, parse_database_url

SNAPSHOT_INTERVAL = 100
LONG, SHORT = "north:long", "north:short"

pytestmark = pytest.mark.timeout(120)


@dataclass
class Cost:
    selects: int = 0
    rows_read: int = 0
    inserts: int = 0

    def since(self, before: Cost) -> Cost:
        return Cost(
            self.selects - before.selects,
            self.rows_read - before.rows_read,
            self.inserts - before.inserts,
        )


def instrument(ledger: Ledger) -> Cost:
    """Counts every read and insert the ledger's event and snapshot recorders serve."""
    cost = Cost()
    assert ledger.snapshots is not None
    recorders = {id(r): r for r in (ledger.events.recorder, ledger.snapshots.recorder)}
    for recorder in recorders.values():
        select, insert = recorder.select_events, recorder.insert_events

        def counted_select(*args: Any, _select: Any = select, **kwargs: Any) -> Any:
            rows = _select(*args, **kwargs)
            cost.selects, cost.rows_read = cost.selects + 1, cost.rows_read + len(rows)
            return rows

        def counted_insert(*args: Any, _insert: Any = insert, **kwargs: Any) -> Any:
            cost.inserts += 1
            return _insert(*args, **kwargs)

        recorder.select_events = counted_select  # type: ignore[method-assign]
        recorder.insert_events = counted_insert  # type: ignore[method-assign]
    return cost


def events_of(ledger: Ledger, account_id: str) -> int:
    """The account's version: how many events it has."""
    return int(ledger.repository.get(f"account:{account_id}", version=2**62).version)


def build_history(ledger: Ledger) -> None:
    """LONG gets 2,009 events (back and forth with partners), SHORT 10, peers 1 each."""
    ledger.register_organisation("north", "North")
    for ref in ("long", "short", *(f"partner-{p}" for p in range(10))):
        ledger.open_account("north", ref)
    for ref in (f"peer-{p}" for p in range(4)):
        ledger.open_account("north", ref)
    items = []
    for i in range(1004):
        partner = f"north:partner-{i % 10}"
        items += [ExchangeRequest(LONG, partner, 1), ExchangeRequest(partner, LONG, 1)]
    for start in range(0, len(items), 1000):
        ledger.record_batch("north", items[start : start + 1000])
    ledger.record_batch("north", [ExchangeRequest(SHORT, "north:partner-0", 1)] * 9)
    assert (events_of(ledger, LONG), events_of(ledger, SHORT)) == (2009, 10)


def write_cost(ledger: Ledger, cost: Cost, account_id: str, peer: str, writes: int) -> Cost:
    before = Cost(cost.selects, cost.rows_read, cost.inserts)
    for _ in range(writes):
        ledger.record_exchange("north", ExchangeRequest(account_id, peer, 1))
    return cost.since(before)


def test_a_cached_write_costs_the_same_with_2000_events_of_history_as_with_10(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    build_history(ledger)
    for peer in ("north:peer-0", "north:peer-1"):
        ledger.get_account(peer)  # the peers are cached too, like the two accounts
    cost = instrument(ledger)

    long_cost = write_cost(ledger, cost, LONG, "north:peer-0", writes=5)
    short_cost = write_cost(ledger, cost, SHORT, "north:peer-1", writes=5)

    assert long_cost == short_cost == Cost(selects=0, rows_read=0, inserts=5)


def test_taking_a_snapshot_reads_at_most_the_events_since_the_last_one(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    build_history(ledger)
    peers = [f"north:peer-{p}" for p in range(4)]
    for peer in peers:
        ledger.get_account(peer)
    cost = instrument(ledger)

    # From 2,009 events to 2,109: LONG's snapshot at 2,100 is taken on the way.
    for write in range(100):
        ledger.record_exchange("north", ExchangeRequest(LONG, peers[write % 4], 1))

    assert cost.inserts == 100 + 1, "the exchanges, and one snapshot"
    assert cost.rows_read <= SNAPSHOT_INTERVAL + 1, "the last snapshot and the events since"


@pytest.fixture(params=["sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest) -> str:
    """A database a second ledger can open: not the in-memory store."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def cold_ledgers(shared_url: str) -> Iterator[Callable[[], Ledger]]:
    made: list[Ledger] = []

    def make() -> Ledger:
        made.append(Ledger(parse_database_url(shared_url)))
        return made[-1]

    yield make
    for ledger in made:
        ledger.close()


def test_a_write_after_a_restart_reads_one_snapshot_and_the_events_after_it(
    cold_ledgers: Callable[[], Ledger],
) -> None:
    build_history(cold_ledgers())
    long_ledger, short_ledger = cold_ledgers(), cold_ledgers()
    long_meter, short_meter = instrument(long_ledger), instrument(short_ledger)

    long_cost = write_cost(long_ledger, long_meter, LONG, "north:peer-2", writes=1)
    short_cost = write_cost(short_ledger, short_meter, SHORT, "north:peer-3", writes=1)

    assert long_cost.selects == short_cost.selects, "the same round trips either way"
    assert long_cost.inserts == short_cost.inserts == 1
    # 2,009 events behind LONG, but only the snapshot at 2,000 and the 9 after it are read.
    assert long_cost.rows_read <= short_cost.rows_read + 1
    assert long_cost.rows_read < SNAPSHOT_INTERVAL
    after = long_ledger.get_account(LONG)
    assert (after.balance, after.given, after.received) == (1, 1005, 1004), "snapshot state"
