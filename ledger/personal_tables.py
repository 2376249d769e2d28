"""Personal data's own tables: mutable, beside the event store, never part of the log.

- `ledger_data_keys`: each account's data keys, wrapped under the master key (ledger/data_key.py).
  Deleting an account's rows is what erases its notes and reasons (ledger/sealing.py).
- `ledger_directory`: the display name a broker gave an account.
- `ledger_key_labels`: the label an access key was issued with.

None of it is an event: not exported, not hashed into the chain, not replayed. On SQLite
every change runs with `secure_delete` on, so a deleted row is overwritten with zeros rather
than left in a free page; `make_final` then checkpoints the write-ahead log and truncates it.
On Postgres a deleted row stays in the table's files until VACUUM; `make_final` runs
VACUUM (FULL) on these tables, which rewrites them (docs/data-protection.md). Each backend's
way is its recorder's `purge_deleted_rows` (ledger/sqlite.py, ledger/postgres.py).
"""

from __future__ import annotations

import threading
from typing import Any

from ledger.recorder import LedgerRecorder

KEYS, DIRECTORY, LABELS = "ledger_data_keys", "ledger_directory", "ledger_key_labels"
TABLES = (KEYS, DIRECTORY, LABELS)
# Each statement names its one table as `{table}` (filled in with the schema on Postgres).
CREATE = (
    (KEYS, "CREATE TABLE IF NOT EXISTS {table} (key_id TEXT PRIMARY KEY,"
     " account TEXT NOT NULL, wrapped TEXT NOT NULL)"),
    (KEYS, "CREATE INDEX IF NOT EXISTS ledger_data_keys_by_account ON {table} (account)"),
    (DIRECTORY, "CREATE TABLE IF NOT EXISTS {table} (account TEXT PRIMARY KEY,"
     " display_name TEXT NOT NULL)"),
    (LABELS, "CREATE TABLE IF NOT EXISTS {table} (key_id TEXT PRIMARY KEY, label TEXT NOT NULL)"),
)  # fmt: skip
Rows = list[tuple[Any, ...]]


class PersonalTables:
    """The same statements on SQLite and Postgres, each committed on its own, through the
    recorder's tables beside the events; a dict per table where the event store keeps no
    tables (in memory: one process, nothing kept)."""

    def __init__(self, recorder: LedgerRecorder, env: dict[str, str]) -> None:
        self._sql = recorder if recorder.keeps_tables else None
        self._memory: dict[str, dict[str, tuple[Any, ...]]] = {t: {} for t in TABLES}
        self._lock = threading.Lock()
        if self._sql is not None:
            for table, statement in CREATE:
                self._sql.create_table_beside(statement, table, env)

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
            table,
            f"INSERT INTO {{table}} ({', '.join(columns)})"  # noqa: S608 (our own names)
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
            table,
            f"SELECT {', '.join(columns)} FROM {{table}}"  # noqa: S608 (our own names)
            f" WHERE {columns[0]} IN ({', '.join('?' * len(keys))})",
            *keys,
        )
        return {row[0]: tuple(row) for row in rows}

    def keys_of(self, account: str) -> Rows:
        """An account's data keys: (key id, account, wrapped)."""
        if self._sql is None:
            with self._lock:
                return [r for r in self._memory[KEYS].values() if r[1] == account]
        statement = "SELECT key_id, account, wrapped FROM {table} WHERE account = ?"
        return self._run(KEYS, statement, account)

    def directory_of(self, organisation: str) -> Rows:
        """Every (account, display name) of the organisation's accounts."""
        prefix = f"{organisation}:"
        if self._sql is None:
            with self._lock:
                return [r for k, r in self._memory[DIRECTORY].items() if k.startswith(prefix)]
        statement = (
            "SELECT account, display_name FROM {table}"
            " WHERE substr(account, 1, length(?)) = ?"  # not LIKE: '_' is no wildcard in an id
        )
        return self._run(DIRECTORY, statement, prefix, prefix)

    def delete(self, table: str, column: str, value: str) -> int:
        """Delete the rows whose `column` is `value`; answer how many went."""
        if self._sql is None:
            with self._lock:
                rows = self._memory[table]
                gone = [k for k, r in rows.items() if r[_COLUMNS[table].index(column)] == value]
                for k in gone:
                    del rows[k]
                return len(gone)
        before = len(self._run(table, f"SELECT 1 FROM {{table}} WHERE {column} = ?", value))  # noqa: S608
        self._run(table, f"DELETE FROM {{table}} WHERE {column} = ?", value)  # noqa: S608
        return before

    def make_final(self) -> str:
        """Leave no copy of deleted rows in the database's files, as far as the database can."""
        if self._sql is None:
            return "nothing kept on disk"
        return self._sql.purge_deleted_rows(TABLES)

    def _run(self, table: str, statement: str, *params: Any) -> Rows:
        assert self._sql is not None
        with self._sql.statement_beside(statement, table) as (cursor, query):
            cursor.execute(query, params)
            raw = getattr(cursor, "sqlite_cursor", cursor)  # eventsourcing wraps SQLite's
            if raw.description is None:  # a statement that returns no rows
                return []
            return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in raw]


_COLUMNS = {
    KEYS: ("key_id", "account", "wrapped"),
    DIRECTORY: ("account", "display_name"),
    LABELS: ("key_id", "label"),
}
