"""The audit log as the API and the CLI read it: events with their chain hashes, checkpoints.

Only chained events are served, so every event a client sees carries its hash; the chain
projection follows the log within milliseconds. Cursors are positions (`after` exclusive),
and `next` is the position to pass as the next `after`, or None at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from eventsourcing.persistence import ApplicationRecorder

from projections.audit_chain import GENESIS
from projections.audit_checkpoints import create_tables
from projections.audit_signing import CHECKPOINT_FIELDS
from projections.audit_verify import Entry
from projections.events import LogEvent, read_log
from projections.store import ViewStore

Row = dict[str, Any]
PAGE = 2000


class AuditLog:
    def __init__(self, recorder: ApplicationRecorder, view: ViewStore | None = None) -> None:
        self.recorder = recorder
        self.view = view or ViewStore(recorder)
        create_tables(self.view)

    def head(self) -> tuple[int, str]:
        """(position, hash) of the last chained event; (0, 64 zeros) before the first."""
        rows = self.view.read(
            "SELECT position, hash FROM {audit_chain} ORDER BY position DESC LIMIT 1"
        )
        return (int(rows[0]["position"]), str(rows[0]["hash"])) if rows else (0, GENESIS)

    def events(self, after: int = 0, limit: int = 100) -> tuple[list[Row], int | None]:
        """Events after position `after`, oldest first, each with its chain `hash`."""
        return self._page(after, limit, self.head()[0])

    def checkpoints(self, after: int = 0, limit: int = 100) -> tuple[list[Row], int | None]:
        """Signed checkpoints after position `after`, oldest first."""
        rows = self.view.read(
            f"SELECT {', '.join(CHECKPOINT_FIELDS)} FROM {{audit_checkpoints}}"  # noqa: S608
            " WHERE position > ? ORDER BY position LIMIT ?",
            (after, limit),
        )
        items = [_checkpoint(row) for row in rows]
        return items, (items[-1]["position"] if items and len(items) == limit else None)

    def latest_checkpoint(self) -> Row | None:
        rows = self.view.read(
            f"SELECT {', '.join(CHECKPOINT_FIELDS)} FROM {{audit_checkpoints}}"  # noqa: S608
            " ORDER BY position DESC LIMIT 1"
        )
        return _checkpoint(rows[0]) if rows else None

    def all_events(self, until: int, page: int = PAGE) -> Iterator[Row]:
        """Every event up to position `until`, with hashes, a page at a time (for export)."""
        after: int | None = 0
        while after is not None:
            items, after = self._page(after, page, until)
            yield from items

    def all_checkpoints(self, page: int = PAGE) -> Iterator[Row]:
        after: int | None = 0
        while after is not None:
            items, after = self.checkpoints(after, page)
            yield from items

    def stored_entries(self, page: int = PAGE) -> Iterator[Entry]:
        """Every stored event beside the hash the chain stored for its position, merged by
        position: a position with only an event, or only a hash, shows tampering."""
        events, hashes = self._stored_events(page), self._stored_hashes(page)
        event, stored = next(events, None), next(hashes, None)
        while event is not None or stored is not None:
            if stored is None or (event is not None and event.position < stored[0]):
                assert event is not None
                yield Entry(event.position, event.as_audit(), None)
                event = next(events, None)
            elif event is None or stored[0] < event.position:
                yield Entry(stored[0], None, stored[1])
                stored = next(hashes, None)
            else:
                yield Entry(event.position, event.as_audit(), stored[1])
                event, stored = next(events, None), next(hashes, None)

    def _page(self, after: int, limit: int, until: int) -> tuple[list[Row], int | None]:
        events = [e for e in read_log(self.recorder, after, limit) if e.position <= until]
        if not events:
            return [], None
        hashes = dict(self._hashes_between(after, events[-1].position))
        items = [{**e.as_audit(), "hash": hashes.get(e.position)} for e in events]
        last = events[-1].position
        return items, (last if len(items) == limit and last < until else None)

    def _hashes_between(self, after: int, until: int) -> list[tuple[int, str]]:
        rows = self.view.read(
            "SELECT position, hash FROM {audit_chain} WHERE position > ? AND position <= ?"
            " ORDER BY position",
            (after, until),
        )
        return [(int(row["position"]), str(row["hash"])) for row in rows]

    def _stored_events(self, page: int) -> Iterator[LogEvent]:
        after = 0
        while events := read_log(self.recorder, after, page):
            yield from events
            after = events[-1].position

    def _stored_hashes(self, page: int) -> Iterator[tuple[int, str]]:
        after = 0
        while rows := self.view.read(
            "SELECT position, hash FROM {audit_chain} WHERE position > ? ORDER BY position LIMIT ?",
            (after, page),
        ):
            for row in rows:
                yield int(row["position"]), str(row["hash"])
            after = int(rows[-1]["position"])


def _checkpoint(row: Row) -> Row:
    return {field: (int(row[field]) if field == "position" else row[field]) for field in row}
