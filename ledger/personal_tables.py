"""Personal data's own tables: mutable, beside the event store, never part of the log.

- `ledger_data_keys`: each account's data keys, wrapped under the master key (ledger/data_key.py).
  Deleting an account's rows is what erases its notes and reasons (ledger/sealing.py).
- `ledger_directory`: the display name a broker gave an account.
- `ledger_key_labels`: the label an access key was issued with.

None of it is an event: not exported, not hashed into the chain, not replayed. On SQLite
every change runs with `secure_delete` on, so a deleted row is overwritten with zeros rather
than left in a free page; `make_final` then checkpoints the write-ahead log and truncates it.
On Postgres a deleted row stays in the table's files until VACUUM; `make_final` runs
VACUUM (FULL) on these tables, which rewrites them (docs/data-protection.md).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier

from ledger.postgres import creating_tables

KEYS, DIRECTORY, LABELS = "ledger_data_keys", "ledger_directory", "ledger_key_labels"
TABLES = (KEYS, DIRECTORY, LABELS)
# Statements name tables as `{table}`, filled in with the schema on Postgres.
CREATE = (
    "CREATE TABLE IF NOT EXISTS {ledger_data_keys} (key_id TEXT PRIMARY KEY,"
    " account TEXT NOT NULL, wrapped TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ledger_data_keys_by_account ON {ledger_data_keys} (account)",
    "CREATE TABLE IF NOT EXISTS {ledger_directory} (account TEXT PRIMARY KEY,"
    " display_name TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {ledger_key_labels} (key_id TEXT PRIMARY KEY, label TEXT NOT NULL)",
)
Rows = list[tuple[Any, ...]]


class PersonalTables:
    """The same statements on SQLite and Postgres, each committed on its own; a dict per
    table for the in-memory event store (one process, nothing kept)."""

    def __init__(self, recorder: ApplicationRecorder, env: dict[str, str]) -> None:
        self._sql: PostgresApplicationRecorder | SQLiteApplicationRecorder | None = None
        self._memory: dict[str, dict[str, tuple[Any, ...]]] = {t: {} for t in TABLES}
        self._lock = threading.Lock()
        if isinstance(recorder, PostgresApplicationRecorder):
            self._sql = recorder
            with creating_tables(env):  # beside eventsourcing's tables, under the same lock
                for statement in CREATE:
                    self._run(statement)
        elif isinstance(recorder, SQLiteApplicationRecorder):
            self._sql = recorder
            for statement in CREATE:
                self._run(statement)

    # Writes and reads, by table: the key is the first column.

    def put(self, table: str, *row: Any) -> None:
        """Insert or replace the row whose first column is `row[0]`."""
        if self._sql is None:
            with self._lock:
                self._memory[table][row[0]] = row
            return
        columns = _COLUMNS[table]
        others = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
        self._run(
            f"INSERT INTO {{{table}}} ({', '.join(columns)})"  # noqa: S608 (our own names)
            f" VALUES ({', '.join('?' * len(row))})"
            f" ON CONFLICT ({columns[0]}) DO UPDATE SET {others}",
            *row,
        )

    def get(self, table: str, keys: list[str]) -> dict[str, tuple[Any, ...]]:
        """The rows of these keys that exist, by key."""
        if not keys:
            return {}
        if self._sql is None:
            with self._lock:
                return {k: self._memory[table][k] for k in keys if k in self._memory[table]}
        columns = _COLUMNS[table]
        rows = self._run(
            f"SELECT {', '.join(columns)} FROM {{{table}}}"  # noqa: S608 (our own names)
            f" WHERE {columns[0]} IN ({', '.join('?' * len(keys))})",
            *keys,
        )
        return {row[0]: tuple(row) for row in rows}

    def keys_of(self, account: str) -> Rows:
        """An account's data keys: (key id, account, wrapped)."""
        if self._sql is None:
            with self._lock:
                return [r for r in self._memory[KEYS].values() if r[1] == account]
        statement = "SELECT key_id, account, wrapped FROM {ledger_data_keys} WHERE account = ?"
        return self._run(statement, account)

    def directory_of(self, organisation: str) -> Rows:
        """Every (account, display name) of the organisation's accounts."""
        prefix = f"{organisation}:"
        if self._sql is None:
            with self._lock:
                return [r for k, r in self._memory[DIRECTORY].items() if k.startswith(prefix)]
        statement = (
            "SELECT account, display_name FROM {ledger_directory}"
            " WHERE substr(account, 1, length(?)) = ?"  # not LIKE: '_' is no wildcard in an id
        )
        return self._run(statement, prefix, prefix)

    def delete(self, table: str, column: str, value: str) -> int:
        """Delete the rows whose `column` is `value`; answer how many went."""
        if self._sql is None:
            with self._lock:
                rows = self._memory[table]
                gone = [k for k, r in rows.items() if r[_COLUMNS[table].index(column)] == value]
                for k in gone:
                    del rows[k]
                return len(gone)
        before = len(self._run(f"SELECT 1 FROM {{{table}}} WHERE {column} = ?", value))  # noqa: S608
        self._run(f"DELETE FROM {{{table}}} WHERE {column} = ?", value)  # noqa: S608
        return before

    def make_final(self) -> str:
        """Leave no copy of deleted rows in the database's files, as far as the database can."""
        if isinstance(self._sql, SQLiteApplicationRecorder):
            return self._checkpoint(self._sql)
        if isinstance(self._sql, PostgresApplicationRecorder):
            with self._sql.datastore.get_connection() as conn:  # autocommit: VACUUM needs it
                for table in TABLES:
                    conn.execute(SQL("VACUUM (FULL) {}").format(self._table(table)))
            return f"VACUUM (FULL) of {', '.join(TABLES)}"
        return "nothing kept on disk"

    @staticmethod
    def _checkpoint(recorder: SQLiteApplicationRecorder, attempts: int = 50) -> str:
        """Copy the write-ahead log into the database and truncate it; a reader in the middle
        of a read holds it back, so try again for a while."""
        for _ in range(attempts):
            with recorder.datastore.get_connection(commit=True) as conn:
                cursor = conn.cursor()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = cursor.fetchone()[0]
            if not busy:
                return "write-ahead log checkpointed and truncated"
            time.sleep(0.05)
        raise RuntimeError("the write-ahead log is held by readers; run `timebank erase finalise`")

    def _run(self, statement: str, *params: Any) -> Rows:
        with self._cursor(statement) as (cursor, query):
            cursor.execute(query, params)
            raw = getattr(cursor, "sqlite_cursor", cursor)  # eventsourcing wraps SQLite's
            if raw.description is None:  # a statement that returns no rows
                return []
            return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in raw]

    @contextlib.contextmanager
    def _cursor(self, statement: str) -> Iterator[tuple[Any, Any]]:
        recorder = self._sql
        names = {t: t for t in TABLES}
        if isinstance(recorder, PostgresApplicationRecorder):
            tables = {t: self._table(t) for t in TABLES}
            query = SQL(statement.replace("?", "%s")).format(**tables)  # type: ignore[arg-type]
            with recorder.datastore.cursor() as cursor:  # autocommit: the statement commits
                yield cursor, query
        else:
            assert recorder is not None
            with recorder.datastore.transaction(commit=True) as cursor:
                cursor.execute("PRAGMA secure_delete = ON")  # deleted rows are zeroed
                yield cursor, statement.format(**names)

    def _table(self, table: str) -> Any:
        assert isinstance(self._sql, PostgresApplicationRecorder)
        return SQL("{}.{}").format(Identifier(self._sql.datastore.schema), Identifier(table))


_COLUMNS = {
    KEYS: ("key_id", "account", "wrapped"),
    DIRECTORY: ("account", "display_name"),
    LABELS: ("key_id", "label"),
}
