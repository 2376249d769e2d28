"""A circuit breaker in front of the Postgres connection pool.

While the database is away, each of eventsourcing's recorder methods retries ten times, and
each try waits out the pool's timeout: close to a minute before a caller hears that the
database is gone. So once a connection is found broken, or none can be had, the breaker
opens: from then on every call fails at once with `DatabaseUnavailable` (which those retries
do not catch), and a probe in a thread of its own connects a few times a second. When the
database answers again, the pool's idle connections (dead since the outage) are checked and
replaced, and the breaker closes: service resumes without a restart.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, PersistenceError

log = logging.getLogger(__name__)
PROBE_INTERVAL = 0.25
PROBE_TIMEOUT = 2
# The pool retries a lost connection with a growing back-off; after this many seconds it
# gives up and makes new ones on demand instead, at once, so recovery never waits on a
# back-off that grew during a long outage.
POOL_RECONNECT_SECONDS = 3.0


class DatabaseUnavailable(PersistenceError):
    """The database did not answer lately; the call was not attempted."""


class CircuitBreaker:
    def __init__(self, pool: Any, probe_interval: float = PROBE_INTERVAL) -> None:
        self.pool = pool
        self.probe_interval = probe_interval
        self.trips = 0
        self._open = threading.Event()
        self._lock = threading.Lock()

    def check(self) -> None:
        if self._open.is_set():
            raise DatabaseUnavailable("the database is not answering; try again shortly")

    def trip(self, error: BaseException) -> None:
        with self._lock:
            if self._open.is_set():
                return
            self._open.set()
            self.trips += 1
        log.warning("database unreachable (%s); failing fast until it answers", error)
        threading.Thread(target=self._probe, name="database-probe", daemon=True).start()

    def _probe(self) -> None:
        started = time.monotonic()
        while not self.pool.closed:
            if self._answers() and self._refresh_pool():
                self._open.clear()
                log.warning("database answering again after %.1f s", time.monotonic() - started)
                return
            time.sleep(self.probe_interval)

    def _answers(self) -> bool:
        settings = {k: v for k, v in dict(self.pool.kwargs).items() if k != "row_factory"}
        settings["connect_timeout"] = PROBE_TIMEOUT
        try:
            with psycopg.connect(**settings, autocommit=True) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def _refresh_pool(self) -> bool:
        """Drop the connections the outage killed; true once the pool hands out a live one."""
        try:
            self.pool.check()
            with self.pool.connection(timeout=PROBE_TIMEOUT) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:  # the pool's timeouts are psycopg errors too
            return False
        return True


def guard(datastore: Any) -> CircuitBreaker:
    """Put a breaker in front of an eventsourcing `PostgresDatastore`'s connections."""
    existing: CircuitBreaker | None = getattr(datastore, "breaker", None)
    if existing is not None:
        return existing
    breaker = CircuitBreaker(datastore.pool)
    datastore.pool.reconnect_timeout = POOL_RECONNECT_SECONDS
    # libpq waits for the OS (minutes) on a host that does not answer; the pool's own
    # connection attempts give up sooner.
    datastore.pool.kwargs.setdefault("connect_timeout", PROBE_TIMEOUT)
    datastore.breaker = breaker
    datastore.get_connection = _guarded(datastore.get_connection, breaker)
    return breaker


def _guarded(
    get_connection: Callable[[], contextlib.AbstractContextManager[Any]], breaker: CircuitBreaker
) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    @contextlib.contextmanager
    def guarded() -> Iterator[Any]:
        breaker.check()
        conn: Any = None
        try:
            with get_connection() as conn:
                yield conn
        except (OperationalError, InterfaceError) as error:
            # A lock timeout or a cancelled statement leaves the connection usable: that is
            # the database answering. A broken connection, or none at all, is an outage.
            if conn is None or conn.broken or conn.closed:
                breaker.trip(error)
            raise

    return guarded
