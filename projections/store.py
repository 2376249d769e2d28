"""The read models' tables and tracking positions, in the same database as the events.

A view update and its tracking position commit in one transaction, so a crash between the
two is impossible: every event is counted exactly once across crashes and restarts.
SQL is written once, in SQLite's dialect with `?` placeholders, and adapted for Postgres;
the in-memory event store (tests, offline replay) keeps its views in an in-memory SQLite.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from eventsourcing.persistence import ApplicationRecorder, Tracking, TrackingRecorder

from ledger.recorder import LedgerRecorder
from projections.cursor import Cursor, Params, Row

__all__ = ["Cursor", "Params", "Row", "StaleProjection", "ViewStore"]


class StaleProjection(RuntimeError):
    """Another runner processed these events first; this page was rolled back."""


class ViewStore(TrackingRecorder):
    """Tracking positions keyed by projection name, beside that projection's tables."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self.recorder = recorder
        dialect = cast(LedgerRecorder, recorder).views_dialect
        self.postgres = dialect == "postgres"
        self.schema = recorder.datastore.schema if self.postgres else ""  # type: ignore[attr-defined]
        self._memory: sqlite3.Connection | None = None
        self._memory_lock = threading.RLock()
        if dialect == "memory":
            self._memory = sqlite3.connect(":memory:", check_same_thread=False)
            self._memory.row_factory = sqlite3.Row
        self.advanced = threading.Condition()
        with self.transaction() as cursor:
            self.serialise_ddl(cursor, "projection_tracking")
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS {projection_tracking}"
                " (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
            )
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS {projection_shapes}"
                " (name TEXT PRIMARY KEY, shape TEXT NOT NULL)"
            )
            cursor.execute(  # see projections.faults
                "CREATE TABLE IF NOT EXISTS {projection_faults} (name TEXT PRIMARY KEY,"
                " position BIGINT NOT NULL, error TEXT NOT NULL, since TEXT NOT NULL)"
            )

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        if self._memory is not None:
            with self._memory_lock, self._memory:
                yield Cursor(self._memory.cursor(), False, "")
            return
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=True) as raw:
            yield Cursor(raw, self.postgres, self.schema)

    @contextmanager
    def writing(self) -> Iterator[Cursor]:
        """A transaction that reads, then writes. SQLite takes the write lock first (BEGIN
        IMMEDIATE): a transaction that began by reading cannot take it once another process
        has committed, and would fail at once ("database is locked") instead of waiting."""
        if self._memory is not None or self.postgres:
            with self.transaction() as cursor:
                yield cursor
            return
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        with datastore.get_connection(commit=True) as connection:
            raw = connection.cursor()
            raw.execute("BEGIN IMMEDIATE")
            try:
                yield Cursor(raw, False, self.schema)
            except BaseException:
                connection.rollback()
                raise
            connection.commit()

    def read(self, statement: str, params: Params = ()) -> list[dict[str, Any]]:
        """One statement's rows. On Postgres the pool's connections commit each statement on
        their own: no BEGIN and COMMIT around it, one round trip instead of three."""
        if not self.postgres:
            with self.transaction() as cursor:
                return cursor.execute(statement, params).all()
        with self.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            return Cursor(conn.cursor(), True, self.schema).execute(statement, params).all()

    def read_tuples(self, statement: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """`read`, each row a plain tuple in the statement's column order: for reads of many
        rows, where a dict a row is most of the cost."""
        if not self.postgres:
            with self.transaction() as cursor:
                return cursor.tuples(statement, params)
        with self.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            return Cursor(conn.cursor(), True, self.schema).tuples(statement, params)

    @contextmanager
    def consistent(self) -> Iterator[Callable[..., list[Row]]]:
        """`read`, for several statements that must see the views in one state (one
        transaction; on Postgres, a repeatable-read snapshot)."""
        with self.transaction() as cursor:
            if self.postgres:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")

            def read(statement: str, params: Params = ()) -> list[Row]:
                return cursor.execute(statement, params).all()

            yield read

    # eventsourcing's TrackingRecorder interface.

    def insert_tracking(self, tracking: Tracking) -> None:
        with self.transaction() as cursor:
            previous = self._position(cursor, tracking.application_name)
            self.advance(cursor, tracking.application_name, previous, tracking.notification_id)

    def register(self, cursor: Cursor, name: str, shape: str = "") -> None:
        cursor.execute(
            "INSERT INTO {projection_tracking} (name, position) VALUES (?, 0)"
            " ON CONFLICT (name) DO NOTHING",
            (name,),
        )
        cursor.execute(
            "INSERT INTO {projection_shapes} (name, shape) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET shape = excluded.shape",
            (name, shape),
        )

    def serialise_ddl(self, cursor: Cursor, name: str) -> None:
        """Postgres can fail two concurrent `CREATE TABLE IF NOT EXISTS` of one table (the
        API and the workers start together): take turns, until the transaction ends."""
        if self.postgres:
            key = zlib.crc32(f"{self.schema}.{name}.ddl".encode())
            cursor.execute("SELECT pg_advisory_xact_lock(?)", (key,))

    def ensure_kept_table(self, name: str, ddl: str) -> None:
        """A table no rebuild drops (checkpoints, notes, cosignatures, the key history: they
        are evidence), made when missing only: DDL would lock it against another process."""
        shape = hashlib.sha256(ddl.encode()).hexdigest()[:16]
        with self.transaction() as cursor:
            if self.shape_of(cursor, name) == shape:
                return
        with self.transaction() as cursor:
            self.serialise_ddl(cursor, name)
            cursor.execute(ddl)
            cursor.execute(
                "INSERT INTO {projection_shapes} (name, shape) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET shape = excluded.shape",
                (name, shape),
            )

    @staticmethod
    def shape_of(cursor: Cursor, name: str) -> str | None:
        """The fingerprint of the statements that made a projection's tables, if any."""
        row = cursor.execute("SELECT shape FROM {projection_shapes} WHERE name = ?", (name,)).one()
        return str(row["shape"]) if row else None

    def advance(self, cursor: Cursor, name: str, previous: int, position: int) -> None:
        """Compare-and-set, first thing in the transaction: it takes the write lock, and a
        second runner that read the same page finds the position moved and rolls back."""
        if self.postgres:
            # Views can be rebuilt and commit atomically with their position: a crash may
            # lose the last few pages, view and position together, never one without the other.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            "UPDATE {projection_tracking} SET position = ? WHERE name = ? AND position = ?",
            (position, name, previous),
        )
        if cursor.rowcount != 1:
            raise StaleProjection(f"{name} is no longer at {previous}: another runner moved it")

    def position_of(self, cursor: Cursor, name: str) -> int:
        """A projection's position as `cursor`'s transaction sees it."""
        return self._position(cursor, name)

    @staticmethod
    def _position(cursor: Cursor, name: str) -> int:
        row = cursor.execute(
            "SELECT position FROM {projection_tracking} WHERE name = ?", (name,)
        ).one()
        return int(row["position"]) if row else 0

    def max_tracking_id(self, application_name: str) -> int | None:
        rows = self.read(
            "SELECT position FROM {projection_tracking} WHERE name = ?", (application_name,)
        )
        return int(rows[0]["position"]) if rows else None

    def notify_advanced(self) -> None:
        with self.advanced:
            self.advanced.notify_all()

    def wait(
        self,
        application_name: str,
        notification_id: int | None,
        timeout: float = 1.0,
        interrupt: threading.Event | None = None,
    ) -> None:
        """Wake on local progress at once; poll briefly for runners in other processes."""
        deadline = time.monotonic() + timeout
        pause = 0.002
        while not self.has_tracking_id(application_name, notification_id):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (interrupt is not None and interrupt.is_set()):
                raise TimeoutError(f"{application_name} has not reached {notification_id}")
            with self.advanced:
                self.advanced.wait(min(pause, remaining))
            pause = min(pause * 2, 0.05)
