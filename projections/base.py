"""A projection: tables, plus how a batch of log events changes them."""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections.events import LogEvent
from projections.store import Cursor, ViewStore

_DEFERRED = "+indexes-deferred"


class LedgerProjection(Projection[ViewStore]):
    """eventsourcing's `Projection`, fed whole pages of events at a time.

    One transaction per page (not per event) is what lets a replay of a million events
    finish in seconds: the view update and the tracking position still commit together.
    """

    name: str = ""
    tables: ClassVar[Sequence[str]] = ()
    """Statements that create this projection's tables and indexes (idempotent)."""
    drops: ClassVar[Sequence[str]] = ()
    """Names of this projection's tables, dropped by a rebuild."""
    types: ClassVar[frozenset[str] | None] = None
    """The event types `apply` looks at (None: all); the others are not even decoded."""

    def __init__(self, view: ViewStore, *, indexes: bool = True) -> None:
        """`indexes=False` leaves the secondary indexes for later (see `create_tables`)."""
        super().__init__(view)
        self.create_tables(indexes=indexes)

    def create_tables(self, *, indexes: bool = True) -> None:
        """Create the tables; tables made by different statements (an older release) are
        dropped first, so the runner rebuilds them from position 0 in the new shape.

        Without `indexes`, only the tables (with their keys): a rebuild loads faster and
        builds the other indexes at the end, with `create_tables()` again.
        """
        wanted = self.shape() if indexes else self.shape() + _DEFERRED
        with self.view.transaction() as cursor:
            # Tables in shape already: no DDL at all. DDL would lock the tables against a
            # runner writing them in another process, and could deadlock with it.
            if self.view.shape_of(cursor, self.name) == wanted:
                return
        with self.view.transaction() as cursor:
            self.view.serialise_ddl(cursor, self.name)
            stored = self.view.shape_of(cursor, self.name)
            if stored not in (None, self.shape(), self.shape() + _DEFERRED):
                self._drop(cursor)
            for statement in self.tables:
                if indexes or not _makes_index(statement):
                    cursor.execute(statement)
            self.view.register(cursor, self.name, wanted)

    def build_indexes(self, threads: int = 2) -> None:
        """After a rebuild without them: the deferred indexes, several at a time (each in a
        transaction of its own, on a connection of its own), then the full shape."""
        statements = [s for s in self.tables if _makes_index(s)]
        with ThreadPoolExecutor(threads, thread_name_prefix=f"index-{self.name}") as pool:
            list(pool.map(self._execute_alone, statements))
        self.create_tables()

    def _execute_alone(self, statement: str) -> None:
        with self.view.transaction() as cursor:
            cursor.execute(statement)

    def drop_tables(self, *, indexes: bool = True) -> None:
        """Forget everything this projection knows, including its tracking position."""
        with self.view.transaction() as cursor:
            self._drop(cursor)
        self.create_tables(indexes=indexes)

    def _drop(self, cursor: Cursor) -> None:
        for table in self.drops:
            cursor.execute(f"DROP TABLE IF EXISTS {{{table}}}")
        cursor.execute("DELETE FROM {projection_tracking} WHERE name = ?", (self.name,))
        cursor.execute("DELETE FROM {projection_shapes} WHERE name = ?", (self.name,))

    def shape(self) -> str:
        """A fingerprint of the statements that make the tables."""
        return hashlib.sha256("\n".join(self.tables).encode()).hexdigest()[:16]

    def position(self) -> int:
        return self.view.max_tracking_id(self.name) or 0

    def process_batch(
        self, events: Sequence[LogEvent], previous: int, last: int | None = None
    ) -> None:
        """Apply events that follow position `previous`, with the new position, atomically.

        `last` (default: the last event's position) may lie beyond the events given, when
        the events in between are of types this projection ignores.
        """
        last = events[-1].position if last is None and events else last
        if last is None or last <= previous:
            return
        with self.view.transaction() as cursor:
            self.view.advance(cursor, self.name, previous, last)
            if events:
                self.apply(cursor, events)
        self.view.notify_advanced()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """eventsourcing's one-event interface, for callers that have only one."""
        assert isinstance(domain_event, LogEvent)
        assert domain_event.position == tracking.notification_id
        self.process_batch([domain_event], self.position())

    @abstractmethod
    def apply(self, cursor: Cursor, events: Sequence[LogEvent]) -> None:
        """Change the tables for these events (all inside the caller's transaction)."""


def _makes_index(statement: str) -> bool:
    """`CREATE [UNIQUE] INDEX ...`"""
    words = [word.upper() for word in statement.split(None, 3)[:3]]
    return words[:2] == ["CREATE", "INDEX"] or words == ["CREATE", "UNIQUE", "INDEX"]
