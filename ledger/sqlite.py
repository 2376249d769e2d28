"""The embedded default: eventsourcing's SQLite recorder with the ledger's reads."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from ledger.recorder import LedgerRecorder, StoredRow


class LedgerSQLiteRecorder(SQLiteApplicationRecorder, LedgerRecorder):
    views_dialect = "sqlite"

    @contextlib.contextmanager
    def statement_beside(self, statement: str, table: str) -> Iterator[tuple[Any, Any]]:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute("PRAGMA secure_delete = ON")  # a deleted row is zeroed, not freed
            yield cursor, statement.format(table=table)

    def purge_deleted_rows(self, tables: tuple[str, ...], attempts: int = 50) -> str:
        """Deleted rows are zeroed already; copy the write-ahead log (which may still hold
        them) into the database and truncate it. A reader in the middle of a read holds it
        back, so try again for a while."""
        for _ in range(attempts):
            with self.datastore.get_connection(commit=True) as conn:
                cursor = conn.cursor()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = cursor.fetchone()[0]
            if not busy:
                return "write-ahead log checkpointed and truncated"
            time.sleep(0.05)
        raise RuntimeError("the write-ahead log is held by readers; run `timebank erase finalise`")

    def position_of(self, stream: str, version: int) -> int:
        statement = (
            f"SELECT rowid FROM {self.events_table_name}"  # noqa: S608 (our own table name)
            " WHERE originator_id=? AND originator_version=?"
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, (stream, version))
            row: Any = c.fetchone()
        if row is None:
            raise LookupError(f"no event {stream}@{version}")
        return int(row[0])

    def last_events(self, streams: list[str]) -> dict[str, StoredEvent]:
        return self._last_events_one_by_one(streams)

    def stored_rows(self, after: int, limit: int) -> list[StoredRow]:
        statement = (
            "SELECT rowid, originator_id, originator_version, topic, state"  # noqa: S608 (own table)
            f" FROM {self.events_table_name}"
            " WHERE rowid > ? ORDER BY rowid LIMIT ?"
        )
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (after, limit))
            return [tuple(row) for row in cursor.fetchall()]
