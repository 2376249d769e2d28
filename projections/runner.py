"""Follows the event log and feeds projections a page at a time.

eventsourcing's `ProjectionRunner` needs `recorder.subscribe()`, which the SQLite recorder
does not implement, and commits once per event. This runner polls `select_notifications`
on both backends (woken at once by local commits), commits once per page, and on Postgres
holds an advisory lock so that only one process runs each projection.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, cast

import psycopg
from eventsourcing.persistence import ApplicationRecorder

from ledger.recorder import LedgerRecorder
from projections import faults
from projections.base import LedgerProjection
from projections.events import read_page
from projections.faults import Fault
from projections.store import StaleProjection

log = logging.getLogger(__name__)
PAGE = 2000
IDLE_POLL = 0.05
RETRY_FIRST = 1.0
RETRY_MAX = 5.0


class Runner:
    def __init__(
        self,
        recorder: ApplicationRecorder,
        projections: Sequence[LedgerProjection],
        *,
        page: int = PAGE,
    ) -> None:
        self.recorder = recorder
        self.projections = list(projections)
        self.page = page
        # One event per projection: a shared one, cleared by whichever thread woke first,
        # would leave the others to sleep out their poll.
        self._wakeups = {p.name: threading.Event() for p in self.projections}
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.stuck: dict[str, Fault] = {}
        """Projections whose last page failed, with where and why; the others keep going."""
        self._lock_connections: dict[str, psycopg.Connection[Any]] = {}

    def wake(self, position: int | None = None) -> None:
        """The log has grown (a `Ledger.commit_listeners` callback): look now, not at the
        next poll."""
        del position
        for wakeup in self._wakeups.values():
            wakeup.set()

    def catch_up(self, projection: LedgerProjection) -> int:
        """Process everything recorded so far; return how many events were read."""
        processed = 0
        while not self._stopping.is_set():
            previous = projection.position()
            page = read_page(self.recorder, previous, self.page, projection.types)
            if page.last == previous:
                break
            projection.process_batch(page.events, previous, page.last)
            processed += page.read
        return processed

    def run_once(self) -> int:
        return sum(self.catch_up(p) for p in self.projections)

    def run_once_in_parallel(self) -> int:
        """Catch every projection up, each in a thread of its own: while one waits on the
        database, another computes. Raises the first error any of them met."""
        done: dict[str, int] = {}
        failed: list[BaseException] = []

        def run(projection: LedgerProjection) -> None:
            try:
                done[projection.name] = self.catch_up(projection)
            except BaseException as error:
                failed.append(error)
                self._stopping.set()

        threads = [threading.Thread(target=run, args=(p,)) for p in self.projections]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failed:
            raise failed[0]
        return sum(done.values())

    def start(self) -> None:
        for projection in self.projections:
            thread = threading.Thread(
                target=self._follow,
                args=(projection,),
                name=f"projection-{projection.name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)

    def _follow(self, projection: LedgerProjection) -> None:
        while not self._stopping.is_set():
            try:
                with self.exclusive(projection.name) as mine:
                    if not mine:
                        return
                    self._keep_up(projection)
            except psycopg.Error as error:  # the lock's connection died with the database
                log.warning(
                    "projection %s lost its lock (%s); taking it again", projection.name, error
                )
                self._stopping.wait(1.0)

    def _keep_up(self, projection: LedgerProjection) -> None:
        """Follow the log while this runner holds the projection's lock."""
        wakeup = self._wakeups[projection.name]
        retry = RETRY_FIRST
        while not self._stopping.is_set():
            try:
                processed = self.catch_up(projection)
            except StaleProjection:  # another runner (SQLite: no lock) got there first
                log.info("projection %s: page taken by another runner", projection.name)
                processed = 1  # look again at once, from the new position
            except Exception as error:  # keep following; a later poll retries the page
                self._failed(projection, error)
                self._check_lock(projection.name)
                self._stopping.wait(retry)
                retry = min(retry * 2, RETRY_MAX)
                continue
            retry = RETRY_FIRST
            if projection.name in self.stuck:
                self._recovered(projection)
            if not processed:
                wakeup.wait(IDLE_POLL)
                wakeup.clear()

    def _failed(self, projection: LedgerProjection, error: Exception) -> None:
        """Said once per projection and position, loudly, and recorded for `/readyz` and
        `/metrics`: a page that fails again and again is one problem, not one per retry."""
        try:
            position = projection.position()
        except Exception as unreadable:  # the database itself is away: nothing to record
            log.warning("projection %s failed (%s); retrying", projection.name, unreadable)
            return
        known = self.stuck.get(projection.name)
        if known is not None and known.position == position:
            log.debug("projection %s still fails after %d: %s", projection.name, position, error)
            return
        fault = Fault(projection.name, position, f"{type(error).__name__}: {error}", faults.now())
        self.stuck[projection.name] = fault
        log.error(
            "projection %s is stuck: it cannot apply the events after position %d (%s);"
            " it retries with back-off, the other projections keep going",
            projection.name,
            position,
            fault.error,
            exc_info=error,
        )
        with contextlib.suppress(Exception):  # the database may be what failed
            faults.record(projection.view, fault)

    def _recovered(self, projection: LedgerProjection) -> None:
        fault = self.stuck.pop(projection.name)
        log.warning(
            "projection %s moved on past position %d, where it was stuck since %s",
            projection.name,
            fault.position,
            fault.since,
        )
        with contextlib.suppress(Exception):
            faults.clear(projection.view, projection.name)

    def _check_lock(self, name: str) -> None:
        """After a failure: is the connection that holds the lock still alive? If not
        (the database went away), the lock went with it; psycopg's error says so."""
        conn = self._lock_connections.get(name)
        if conn is not None:
            conn.execute("SELECT 1")

    @contextlib.contextmanager
    def exclusive(self, name: str, patience: float | None = None) -> Iterator[bool]:
        """On Postgres, one runner per projection across every process that shares the
        database. Yields False if `stop()` came, or `patience` seconds passed, first."""
        lock = cast(LedgerRecorder, self.recorder).shared_lock(name)
        if lock is None:
            yield True
            return
        key = lock.key
        deadline = None if patience is None else time.monotonic() + patience
        # A connection of its own, outside the pool: the lock lives as long as it does.
        with psycopg.connect(**lock.connection, autocommit=True) as conn:
            while not self._stopping.is_set():
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                if row is not None and row[0]:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    yield False
                    return
                self._stopping.wait(1.0 if patience is None else 0.1)  # another runs it
            else:
                yield False
                return
            self._lock_connections[name] = conn
            try:
                yield True
            finally:
                del self._lock_connections[name]
                with contextlib.suppress(psycopg.Error):  # a dead connection has let go already
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
