"""Many writers spending from one account at its limit: the limit holds, and every
exchange the ledger accepted is recorded exactly once, whether the writers share one
ledger, two ledgers on one database (each with its own cache), or two processes."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable

import pytest

from domain.errors import CreditLimitExceeded, LedgerError
from ledger import AccountRecord, ExchangeRecord, ExchangeRequest, Ledger, parse_database_url

LIMIT = 600
MINUTES = 7
FITS = LIMIT // MINUTES  # 85 exchanges fit under the limit; the 86th would breach it
SPENDER = "north:spender"
Outcome = ExchangeRecord | LedgerError

pytestmark = pytest.mark.timeout(120)


def set_up(ledger: Ledger, givers: int) -> None:
    ledger.register_organisation("north", "North", credit_limit=LIMIT)
    ledger.open_account("north", "spender")
    for giver in range(givers):
        ledger.open_account("north", f"giver-{giver}")


def spend(ledger: Ledger, giver: int, attempts: int, start: threading.Barrier) -> list[Outcome]:
    """One writer: `attempts` exchanges in which the spender receives MINUTES from `giver`."""
    request = ExchangeRequest(f"north:giver-{giver}", SPENDER, MINUTES)
    outcomes: list[Outcome] = []
    start.wait()
    for _ in range(attempts):
        try:
            outcomes.append(ledger.record_exchange("north", request))
        except LedgerError as error:
            outcomes.append(error)
    return outcomes


def spend_in_threads(
    ledgers: list[Ledger], per_ledger: int, attempts: int, first_giver: int = 0
) -> list[Outcome]:
    """`per_ledger` writers on each ledger, each with its own giver, all starting at once."""
    writers = [
        (ledger, first_giver + n * per_ledger + t)
        for n, ledger in enumerate(ledgers)
        for t in range(per_ledger)
    ]
    start = threading.Barrier(len(writers))
    results: list[list[Outcome]] = [[] for _ in writers]

    def run(slot: int, ledger: Ledger, giver: int) -> None:
        results[slot] = spend(ledger, giver, attempts, start)

    threads = [threading.Thread(target=run, args=(i, *w)) for i, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return [outcome for result in results for outcome in result]


def assert_limit_held_and_nothing_lost_or_doubled(ledger: Ledger, outcomes: list[Outcome]) -> None:
    """`ledger` must read the store past any cache that took part in the writing."""
    accepted = [o.id for o in outcomes if isinstance(o, ExchangeRecord)]
    refused = [o for o in outcomes if not isinstance(o, ExchangeRecord)]
    assert all(isinstance(error, CreditLimitExceeded) for error in refused), refused[:3]
    assert len(accepted) == FITS, "every exchange that fits was accepted, and no more"
    assert len(set(accepted)) == len(accepted)
    spent = spender_history(ledger)
    assert sorted(exchange_id for exchange_id, _ in spent) == sorted(accepted), "each once"
    assert min(balance for _, balance in spent) >= -LIMIT
    spender = ledger.get_account(SPENDER)
    assert (spender.balance, spender.received) == (-FITS * MINUTES, FITS * MINUTES)


def spender_history(ledger: Ledger) -> list[tuple[str, int]]:
    """Each Spent event of the spender, in order, with the balance it left."""
    history, balance = [], 0
    for notification in ledger.recorder.select_notifications(start=1, limit=10**6):
        if notification.originator_id == f"account:{SPENDER}":
            event = ledger.mapper.to_domain_event(notification)
            if notification.topic.endswith(".Spent"):
                balance -= event.minutes  # type: ignore[attr-defined]
                history.append((event.exchange_id, balance))  # type: ignore[attr-defined]
    return history


@pytest.fixture(params=["sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest) -> str:
    """A database two ledgers (or two processes) can share: not the in-memory store."""
    return str(request.getfixturevalue(f"{request.param}_url"))


def without_cache(url: str) -> Ledger:
    return Ledger(parse_database_url(url), env={"AGGREGATE_CACHE_MAXSIZE": ""})


def test_threads_sharing_one_ledger_never_breach_the_limit(
    make_ledger: Callable[..., Ledger], database_url: str
) -> None:
    ledger = make_ledger()
    set_up(ledger, givers=8)

    outcomes = spend_in_threads([ledger], per_ledger=8, attempts=20)

    shared = database_url != "memory://"  # the in-memory store cannot be opened twice
    reader = make_ledger(env={"AGGREGATE_CACHE_MAXSIZE": ""}) if shared else ledger
    assert_limit_held_and_nothing_lost_or_doubled(reader, outcomes)


def test_two_ledgers_with_their_own_caches_never_breach_the_limit(shared_url: str) -> None:
    first, second = Ledger(parse_database_url(shared_url)), Ledger(parse_database_url(shared_url))
    set_up(first, givers=8)
    for ledger in (first, second):
        ledger.get_account(SPENDER)  # both caches now hold the spender at version 1
    conflicts: list[set[str]] = []
    for ledger in (first, second):
        note_evictions(ledger, conflicts)

    outcomes = spend_in_threads([first, second], per_ledger=4, attempts=20)

    assert conflicts, "one ledger's cached spender went stale and was refreshed"
    reader = without_cache(shared_url)
    assert_limit_held_and_nothing_lost_or_doubled(reader, outcomes)
    for ledger in (first, second, reader):
        ledger.close()


def note_evictions(ledger: Ledger, evictions: list[set[str]]) -> None:
    """Notes each eviction of the cached spender, which the ledger does on a conflict."""
    evict = ledger.loaded.evict

    def noting(streams: set[str]) -> None:
        if f"account:{SPENDER}" in streams:
            evictions.append(set(streams))
        evict(streams)

    ledger.loaded.evict = noting  # type: ignore[method-assign]


def spend_in_a_process(url: str, first_giver: int, threads: int, attempts: int) -> list[str]:
    """Runs in a child process: answers the ids it recorded and the codes it was refused with."""
    ledger = Ledger(parse_database_url(url))
    try:
        outcomes = spend_in_threads([ledger], threads, attempts, first_giver=first_giver)
        return [o.id if isinstance(o, ExchangeRecord) else f"!{o.code}" for o in outcomes]
    finally:
        ledger.close()


def test_two_processes_on_postgres_never_breach_the_limit(postgres_url: str) -> None:
    setup = Ledger(parse_database_url(postgres_url))
    set_up(setup, givers=8)
    setup.close()
    context = multiprocessing.get_context("spawn")

    with context.Pool(2) as pool:
        answers = pool.starmap(
            spend_in_a_process, [(postgres_url, 0, 4, 15), (postgres_url, 4, 4, 15)]
        )

    accepted = [a for answer in answers for a in answer if not a.startswith("!")]
    refused = [a for answer in answers for a in answer if a.startswith("!")]
    assert all(answer for answer in answers), "both processes took part"
    assert set(refused) <= {"!credit_limit_exceeded"}
    reader = without_cache(postgres_url)
    outcomes: list[Outcome] = [reader.get_exchange(exchange_id) for exchange_id in accepted]
    outcomes += [CreditLimitExceeded("refused in a child process") for _ in refused]
    assert_limit_held_and_nothing_lost_or_doubled(reader, outcomes)
    reader.close()


def test_a_reader_never_sees_an_account_half_way_through_an_exchange(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    set_up(ledger, givers=4)
    seen: list[AccountRecord] = []
    writing = threading.Event()
    writing.set()

    def read() -> None:
        while writing.is_set():
            seen.append(ledger.get_account(SPENDER))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    back_and_forth(ledger, writers=4, rounds=150)
    writing.clear()
    for reader in readers:
        reader.join(timeout=30)

    assert seen
    torn = [a for a in seen if a.balance != a.given - a.received or a.balance % MINUTES]
    assert not torn, torn[:3]


def back_and_forth(ledger: Ledger, writers: int, rounds: int) -> None:
    """Each writer has the spender receive MINUTES, then give them back, `rounds` times."""

    def write(giver: int) -> None:
        there = ExchangeRequest(f"north:giver-{giver}", SPENDER, MINUTES)
        back = ExchangeRequest(SPENDER, f"north:giver-{giver}", MINUTES)
        for _ in range(rounds):
            ledger.record_exchange("north", there)
            ledger.record_exchange("north", back)

    threads = [threading.Thread(target=write, args=(g,)) for g in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_concurrent_retries_with_one_idempotency_key_record_one_exchange(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    set_up(ledger, givers=1)
    request = ExchangeRequest("north:giver-0", SPENDER, MINUTES)
    start = threading.Barrier(10)
    answers: list[ExchangeRecord] = []

    def post() -> None:
        start.wait()
        answers.append(ledger.record_exchange("north", request, idempotency_key="retry-1"))

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(answers) == 10
    assert len({(a.id, a.position, a.status) for a in answers}) == 1, "one answer for all"
    assert sum(not a.replayed for a in answers) == 1
    assert ledger.get_account(SPENDER).balance == -MINUTES
    assert len(spender_history(ledger)) == 1
