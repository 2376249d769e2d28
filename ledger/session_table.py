"""The sessions table: a small mutable table beside the event store, never part of the log.

Sessions are not facts of the ledger: they are not events, not exported and not replayed.
Each row holds the sha256 of a session id (the id itself lives only in the visitor's cookie),
the key it was opened with, and when it was issued and expires, in whole seconds since the
epoch. Every statement stands alone, so any number of API processes can share the table.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Protocol

from ledger.recorder import LedgerRecorder

TABLE = "ledger_sessions"
CREATE = (
    "CREATE TABLE IF NOT EXISTS {table} (id_hash TEXT PRIMARY KEY, key_id TEXT NOT NULL,"
    " issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)"
)
INSERT = "INSERT INTO {table} (id_hash, key_id, issued_at, expires_at) VALUES (?, ?, ?, ?)"
FIND = "SELECT key_id FROM {table} WHERE id_hash = ? AND expires_at > ?"
DELETE = "DELETE FROM {table} WHERE id_hash = ?"
DELETE_OF_KEY = "DELETE FROM {table} WHERE key_id = ?"
DELETE_EXPIRED = "DELETE FROM {table} WHERE expires_at <= ?"


class SessionTable(Protocol):
    def insert(self, id_hash: str, key_id: str, issued_at: int, expires_at: int) -> None: ...
    def key_of(self, id_hash: str, now: int) -> str | None: ...
    def delete(self, id_hash: str) -> None: ...
    def delete_of_key(self, key_id: str) -> None: ...
    def delete_expired(self, now: int) -> None: ...


def session_table(recorder: LedgerRecorder, env: dict[str, str]) -> SessionTable:
    if recorder.keeps_tables:
        return SqlSessionTable(recorder, env)
    return MemorySessionTable()


class SqlSessionTable:
    """The same statements on SQLite and Postgres, each one committed on its own."""

    def __init__(self, recorder: LedgerRecorder, env: dict[str, str]) -> None:
        self._recorder = recorder
        recorder.create_table_beside(CREATE, TABLE, env)

    def insert(self, id_hash: str, key_id: str, issued_at: int, expires_at: int) -> None:
        self._run(INSERT, id_hash, key_id, issued_at, expires_at)

    def key_of(self, id_hash: str, now: int) -> str | None:
        """The key a session was opened with, while the session has not expired."""
        with self._cursor(FIND) as (cursor, query):
            cursor.execute(query, (id_hash, now))
            row: Any = cursor.fetchone()
        if row is None:
            return None
        return str(row["key_id"] if isinstance(row, dict) else row[0])

    def delete(self, id_hash: str) -> None:
        self._run(DELETE, id_hash)

    def delete_of_key(self, key_id: str) -> None:
        self._run(DELETE_OF_KEY, key_id)

    def delete_expired(self, now: int) -> None:
        self._run(DELETE_EXPIRED, now)

    def _run(self, statement: str, *params: object) -> None:
        with self._cursor(statement) as (cursor, query):
            cursor.execute(query, params)

    def _cursor(self, statement: str) -> contextlib.AbstractContextManager[tuple[Any, Any]]:
        return self._recorder.statement_beside(statement, TABLE)


class MemorySessionTable:
    """For the in-memory event store (tests, demos): one process, nothing kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[str, int, int]] = {}  # id hash -> key, issued, expires

    def insert(self, id_hash: str, key_id: str, issued_at: int, expires_at: int) -> None:
        with self._lock:
            self._rows[id_hash] = (key_id, issued_at, expires_at)

    def key_of(self, id_hash: str, now: int) -> str | None:
        with self._lock:
            row = self._rows.get(id_hash)
        return row[0] if row is not None and row[2] > now else None

    def delete(self, id_hash: str) -> None:
        with self._lock:
            self._rows.pop(id_hash, None)

    def delete_of_key(self, key_id: str) -> None:
        self._keep(lambda row: row[0] != key_id)

    def delete_expired(self, now: int) -> None:
        self._keep(lambda row: row[2] > now)

    def _keep(self, kept: Any) -> None:
        with self._lock:
            self._rows = {h: row for h, row in self._rows.items() if kept(row)}
