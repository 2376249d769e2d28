"""Rebuilding every read model from position 0.

The views catch up in a process of its own and the audit chain in this one (threads, for
the in-memory store): each keeps a core busy instead of taking turns under one interpreter
lock. Secondary indexes are built once, at the end: a million sorted inserts into
an index cost more than one sort.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ledger import Ledger, parse_database_url
from projections.audit_chain import catch_up_chain
from projections.pipeline import catch_up_pipelined
from projections.setup import Projections, build

POLL = 0.2


@dataclass(frozen=True)
class Replayed:
    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def rebuild(
    ledger: Ledger, built: Projections, progress: Callable[[int], None] = lambda _: None
) -> Replayed:
    """Drop and rebuild `built`'s projections; `progress` hears the lowest position now and
    then. The caller keeps other runners away (`Runner.exclusive`)."""
    head = ledger.head_position()
    started = time.monotonic()
    for projection in built.all:
        projection.drop_tables(indexes=False)
    if ledger.database.kind == "memory":
        _in_threads(built, progress)
    else:
        _in_processes(ledger, built, progress)
    for projection in built.all:
        projection.build_indexes()
    progress(head)
    return Replayed(head, time.monotonic() - started)


def _lowest(built: Projections) -> int:
    return min(p.position() for p in built.all)


def _in_threads(built: Projections, progress: Callable[[int], None]) -> None:
    failed: list[BaseException] = []

    def run() -> None:
        try:
            built.runner.run_once_in_parallel()
        except BaseException as error:
            failed.append(error)

    worker = threading.Thread(target=run, name="replay")
    worker.start()
    while worker.is_alive():
        worker.join(POLL)
        progress(_lowest(built))
    if failed:
        raise failed[0]


def _in_processes(ledger: Ledger, built: Projections, progress: Callable[[int], None]) -> None:
    # The audit chain catches up here, in a thread, where the parent would only wait: one
    # interpreter fewer to start, and its core left to the others and the database.
    # "spawn": a child must not inherit the parent's open database connections.
    context = multiprocessing.get_context("spawn")
    here = built.chain
    others = [p for p in built.all if p is not here]
    with context.Pool(len(others)) as pool, ThreadPoolExecutor(1) as thread:
        results = [
            pool.apply_async(catch_up, (ledger.database.url, p.name, built.runner.page))
            for p in others
        ]
        local = thread.submit(_catch_up, ledger, built, here.name)
        while not (local.done() and all(result.ready() for result in results)):
            time.sleep(POLL)
            progress(_lowest(built))
        for result in results:
            result.get()  # raises what the child raised
        local.result()


def catch_up(url: str, name: str, page: int) -> int:
    """In a child process: catch one projection up with the log."""
    ledger = Ledger(parse_database_url(url))
    try:
        return _catch_up(ledger, build(ledger, page=page, indexes=False), name)
    finally:
        ledger.close()


def _catch_up(ledger: Ledger, built: Projections, name: str) -> int:
    page = built.runner.page
    if name == built.views.name:
        return catch_up_pipelined(ledger.recorder, built.views, page)
    if name == built.chain.name:
        return catch_up_chain(ledger.recorder, built.chain, page)
    projection = next(p for p in built.all if p.name == name)
    return built.runner.catch_up(projection)
