"""What the ledger and its read models need from the event store beyond eventsourcing's
recorder interface: one narrow interface, one subclass per backend (ledger/sqlite.py,
ledger/postgres.py, ledger/memory.py), as eventsourcing's searchable-timestamps example does.
The settings (ledger/settings.py) name the subclass; nothing asks which backend it is.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

StoredRow = tuple[int, str, int, str, Any]  # position, stream, version, topic, state (JSON)


@dataclass(frozen=True)
class SharedLock:
    """An advisory lock other processes on the same database see: its key, and the settings
    of a connection of its own to hold it on (the lock lives as long as that connection)."""

    key: int
    connection: dict[str, Any]


class LedgerRecorder(ApplicationRecorder, ABC):
    # How the read models keep their tables: "sqlite" and "postgres" beside the events, in
    # the same database; "memory" in an in-memory SQLite (the event store has no tables).
    views_dialect: str

    @abstractmethod
    def position_of(self, stream: str, version: int) -> int:
        """The global position (notification id) at which one event was recorded."""

    @abstractmethod
    def last_events(self, streams: list[str]) -> dict[str, StoredEvent]:
        """The last event of each stream that has one."""

    @abstractmethod
    def stored_rows(self, after: int, limit: int) -> list[StoredRow]:
        """Rows with positions greater than `after`, oldest first, at most `limit`.

        Plain tuples: eventsourcing's `select_notifications` builds a dict and a
        `Notification` per row, and a replay of a million events spends more time there
        than in the projections themselves."""

    def page_rows(
        self, after: int, limit: int, types: frozenset[str] | None = None
    ) -> tuple[list[StoredRow], int, int]:
        """Like `stored_rows`, and the position of the last row read and how many were read.
        A backend may leave out the rows of events not in `types` (Postgres does)."""
        rows = self.stored_rows(after, limit)
        return rows, (rows[-1][0] if rows else after), len(rows)

    # Whether small mutable tables (sessions) can sit beside the events: not in memory.
    keeps_tables = True

    @contextlib.contextmanager
    def statement_beside(self, statement: str, table: str) -> Iterator[tuple[Any, Any]]:
        """A cursor and `statement` (`{table}` for `table`, `?` placeholders) in this
        backend's dialect, for a table beside the events; it commits when the block ends."""
        raise NotImplementedError("no tables beside this event store")
        yield  # pragma: no cover (a generator, for the context manager)

    def create_table_beside(self, statement: str, table: str, env: dict[str, str]) -> None:
        with self.statement_beside(statement, table) as (cursor, query):
            cursor.execute(query)

    def purge_deleted_rows(self, tables: tuple[str, ...]) -> str:
        """Leave no copy of the rows deleted from these tables beside the events in the
        database's files, as far as the backend can; answers what it did."""
        raise NotImplementedError("no tables beside this event store")

    def shared_lock(self, name: str) -> SharedLock | None:
        """The lock that lets one process across all that share the database run `name`;
        None where no other process could (an embedded or in-memory store)."""
        return None

    def _last_events_one_by_one(self, streams: list[str]) -> dict[str, StoredEvent]:
        """One indexed read a stream: as fast as one query where the store is in-process."""
        found = {}
        for stream in streams:
            last = self.select_events(stream, desc=True, limit=1)
            if last:
                found[stream] = last[0]
        return found
