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
import zlib
from collections.abc import Iterator, Sequence

import psycopg
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder

from projections.base import LedgerProjection
from projections.events import read_log

log = logging.getLogger(__name__)
PAGE = 2000
IDLE_POLL = 0.05


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
        self.wakeup = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def catch_up(self, projection: LedgerProjection) -> int:
        """Process everything recorded so far; return how many events were processed."""
        processed = 0
        while True:
            previous = projection.position()
            events = read_log(self.recorder, previous, self.page)
            if not events:
                return processed
            projection.process_batch(events, previous)
            processed += len(events)

    def run_once(self) -> int:
        return sum(self.catch_up(p) for p in self.projections)

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
        self.wakeup.set()
        for thread in self._threads:
            thread.join(timeout)

    def _follow(self, projection: LedgerProjection) -> None:
        with self._exclusive(projection.name) as mine:
            if not mine:
                return
            while not self._stopping.is_set():
                try:
                    processed = self.catch_up(projection)
                except Exception as error:  # keep following; the next poll retries the page
                    log.exception("projection %s failed; retrying", projection.name)
                    self.errors.append(error)
                    processed = 0
                    self._stopping.wait(1.0)
                if not processed:
                    self.wakeup.wait(IDLE_POLL)
                    self.wakeup.clear()

    @contextlib.contextmanager
    def _exclusive(self, name: str) -> Iterator[bool]:
        """On Postgres, one runner per projection across every process that shares the database."""
        if not isinstance(self.recorder, PostgresApplicationRecorder):
            yield True
            return
        datastore = self.recorder.datastore
        key = zlib.crc32(f"{datastore.schema}.{name}".encode())
        # A connection of its own, outside the pool: the lock lives as long as it does.
        settings = {k: v for k, v in dict(datastore.pool.kwargs).items() if k != "row_factory"}  # type: ignore[arg-type]
        with psycopg.connect(**settings, autocommit=True) as conn:
            while not self._stopping.is_set():
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                if row is not None and row[0]:
                    break
                self._stopping.wait(1.0)  # another process runs it; stand by
            else:
                yield False
                return
            try:
                yield True
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
