"""The read models' tables and tracking positions, in the same database as the events.

A view update and its tracking position commit in one transaction, so a crash between the
two is impossible: every event is counted exactly once across crashes and restarts.
SQL is written once, in SQLite's dialect with `?` placeholders, and adapted for Postgres;
the in-memory event store (tests, offline replay) keeps its views in an in-memory SQLite.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

Params = Sequence[Any]
Row = dict[str, Any]
_PLACEHOLDER = re.compile(r"\?")
_TABLE = re.compile(r"\{(\w+)\}")
_INSERT = re.compile(r"\s*INSERT INTO \{(\w+)\} \(([\w, ]+)\)\s+VALUES \([?, ]+\)(.*)", re.S)
_IN_LIST = "IN (??)"
_SQLITE_IN_CHUNK = 500
_COPY_THRESHOLD = 32


class Cursor:
    """One dialect for the views' SQL: `{table}` names, `?` placeholders, rows as dicts."""

    def __init__(self, raw: Any, postgres: bool, schema: str) -> None:
        # eventsourcing wraps sqlite3's cursor and hides rowcount: use the real one.
        self._raw = getattr(raw, "sqlite_cursor", raw)
        self._postgres = postgres
        self._schema = schema

    def sql(self, statement: str) -> str:
        if not self._postgres:
            return _TABLE.sub(r"\1", statement)
        statement = _TABLE.sub(lambda m: f'"{self._schema}".{m.group(1)}', statement)
        return _PLACEHOLDER.sub("%s", statement)

    def execute(self, statement: str, params: Params = ()) -> Cursor:
        self._raw.execute(self.sql(statement), tuple(params))
        return self

    def executemany(self, statement: str, rows: Sequence[Params]) -> None:
        """Run a statement once per row; on Postgres, a many-row INSERT (upserts too) goes
        through COPY into a staging table and one INSERT ... SELECT, several times faster."""
        if not rows:
            return
        insert = _INSERT.fullmatch(statement) if self._postgres else None
        if insert is None or len(rows) < _COPY_THRESHOLD:
            self._raw.executemany(self.sql(statement), [tuple(r) for r in rows])
            return
        table, columns, rest = insert.groups()
        if not rest.strip():  # a plain insert: straight into the table
            with self._raw.copy(self.sql(f"COPY {{{table}}} ({columns}) FROM STDIN")) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        stage = self._stage(table, columns)
        with self._raw.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # Names and columns come from the projections' own statements, never from input.
        insert_select = f"INSERT INTO {{{table}}} ({columns}) SELECT {columns} FROM {stage} {rest}"  # noqa: S608
        self._raw.execute(self.sql(insert_select))
        self._raw.execute(f"DELETE FROM {stage}")  # noqa: S608

    def _stage(self, table: str, columns: str) -> str:
        """A temporary table of the connection, shaped like the target's columns."""
        stage = f"stage_{self._schema}_{table}"[:63]
        target = self.sql("{" + table + "}")
        self._raw.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS"  # noqa: S608
            f" AS SELECT {columns} FROM {target} WITH NO DATA"
        )
        return stage

    def select_in(self, statement: str, values: Sequence[Any], params: Params = ()) -> list[Row]:
        """Rows of a statement with one `IN (??)` list, then `params` for the other `?`."""
        if not values:
            return []
        if self._postgres:
            one_array = statement.replace(_IN_LIST, "= ANY(?)")
            return self.execute(one_array, (list(values), *params)).all()
        found: list[Row] = []
        for start in range(0, len(values), _SQLITE_IN_CHUNK):
            chunk = list(values[start : start + _SQLITE_IN_CHUNK])
            marks = "IN (" + ", ".join("?" * len(chunk)) + ")"
            found += self.execute(statement.replace(_IN_LIST, marks), (*chunk, *params)).all()
        return found

    @property
    def rowcount(self) -> int:
        return int(self._raw.rowcount)

    def all(self) -> list[Row]:
        return [dict(row) for row in self._raw.fetchall()]

    def one(self) -> Row | None:
        row = self._raw.fetchone()
        return dict(row) if row is not None else None


class StaleProjection(RuntimeError):
    """Another runner processed these events first; this page was rolled back."""


class ViewStore(TrackingRecorder):
    """Tracking positions keyed by projection name, beside that projection's tables."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self.recorder = recorder
        self.postgres = isinstance(recorder, PostgresApplicationRecorder)
        self.schema = recorder.datastore.schema if self.postgres else ""  # type: ignore[attr-defined]
        self._memory: sqlite3.Connection | None = None
        self._memory_lock = threading.RLock()
        if not isinstance(recorder, (SQLiteApplicationRecorder, PostgresApplicationRecorder)):
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

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        if self._memory is not None:
            with self._memory_lock, self._memory:
                yield Cursor(self._memory.cursor(), False, "")
            return
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=True) as raw:
            yield Cursor(raw, self.postgres, self.schema)

    def read(self, statement: str, params: Params = ()) -> list[dict[str, Any]]:
        with self.transaction() as cursor:
            return cursor.execute(statement, params).all()

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
