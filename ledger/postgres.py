"""Production: eventsourcing's Postgres recorder with a faster insert and the ledger's reads."""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import ClientCursor
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

from ledger.breaker import guard
from ledger.recorder import LedgerRecorder, SharedLock, StoredRow


@contextlib.contextmanager
def creating_tables(env: dict[str, str]) -> Iterator[None]:
    """The schema made if need be, and a lock held while eventsourcing makes its tables.

    Processes starting together on a new database (the API and the projection workers) would
    otherwise race on CREATE SCHEMA and CREATE TABLE IF NOT EXISTS, and one of them fail.
    """
    import psycopg

    schema = env.get("POSTGRES_SCHEMA") or ""
    key = zlib.crc32(f"{schema or 'public'}.ledger.ddl".encode())
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env.get("POSTGRES_PASSWORD") or None,
        connect_timeout=int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
        autocommit=True,
    ) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            if schema:
                conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))
            yield
        finally:
            with contextlib.suppress(psycopg.Error):  # a lost connection has let go already
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


class LedgerPostgresRecorder(PostgresApplicationRecorder, LedgerRecorder):
    """eventsourcing's recorder with a one-round-trip insert.

    The stock insert spends four or five round trips per commit (begin, lock, notify,
    insert, commit). Here the table lock and the insert travel together and commit as one
    implicit transaction (pool connections are in autocommit mode). The lock stays: it makes
    positions commit in order, so a reader that polls by position never skips a late commit.
    No NOTIFY either: readers poll, and NOTIFY serialises every commit on a global lock.

    Measured here: a few events as one simple-protocol query string cost 0.26 ms, against
    0.39 ms through a PL/pgSQL function; a thousand-exchange batch goes faster as binary
    arrays through an SQL function (8 us an event, against 10.5 as text).
    """

    SMALL = 64
    views_dialect = "postgres"

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        guard(self.datastore)  # fail fast while the database is away (ledger/breaker.py)
        table = SQL("{}.{}").format(
            Identifier(self.datastore.schema), Identifier(events_table_name)
        )
        function = SQL("{}.{}").format(
            Identifier(self.datastore.schema), Identifier(f"{events_table_name}_append"[:63])
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {function}"
                "(ids text[], versions bigint[], topics text[], states bytea[]) "
                "RETURNS SETOF bigint LANGUAGE sql AS $BODY$ "
                "LOCK TABLE {table} IN EXCLUSIVE MODE; "
                "INSERT INTO {table} (originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(ids, versions, topics, states) "
                "RETURNING notification_id; $BODY$"
            ).format(function=function, table=table)
        )
        self.append_many = SQL("SELECT * FROM {}(%b, %b, %b, %b)").format(function)
        self.lock_and_insert = SQL(
            "LOCK TABLE {table} IN EXCLUSIVE MODE; "
            "INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES "
        ).format(table=table)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        if not stored_events:
            return []
        with self.datastore.get_connection() as conn:
            if len(stored_events) <= self.SMALL:
                return self._insert_few(conn, stored_events)
            with conn.cursor(binary=True) as curs:
                curs.execute(self.append_many, _columns(stored_events), prepare=True)
                return [next(iter(row.values())) for row in curs.fetchall()]

    def _insert_few(self, conn: Any, stored_events: Sequence[StoredEvent]) -> list[int]:
        values = SQL(", ").join([SQL("(%s, %s, %s, %s)")] * len(stored_events))
        params = [v for e in stored_events for v in _row(e)]
        with ClientCursor(conn) as curs:
            curs.execute(self.lock_and_insert + values + SQL(" RETURNING notification_id"), params)
            curs.nextset()
            return [next(iter(row.values())) for row in curs.fetchall()]

    def position_of(self, stream: str, version: int) -> int:
        query = SQL(
            "SELECT notification_id FROM {} WHERE originator_id=%s AND originator_version=%s"
        ).format(self._table())
        with self.datastore.cursor() as curs:  # one statement: no transaction needed
            curs.execute(query, (stream, version))
            row = curs.fetchone()
        if row is None:
            raise LookupError(f"no event {stream}@{version}")
        return int(row["notification_id"])

    def last_events(self, streams: list[str]) -> dict[str, StoredEvent]:
        """One query: on Postgres each query is a network round trip."""
        query = SQL(
            "SELECT DISTINCT ON (originator_id) originator_id, originator_version, topic, state"
            " FROM {} WHERE originator_id = ANY(%s)"
            " ORDER BY originator_id, originator_version DESC"
        ).format(self._table())
        # A single statement on an autocommit connection: no BEGIN and ROLLBACK around it,
        # one round trip instead of three.
        with self.datastore.cursor() as curs:
            curs.execute(query, (streams,), prepare=True)
            rows = curs.fetchall()
        return {
            row["originator_id"]: StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in rows
        }

    def stored_rows(self, after: int, limit: int) -> list[StoredRow]:
        query = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
            " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(self._table())
        with self.datastore.get_connection() as conn, conn.transaction():
            # Binary results: the JSON states arrive as bytes, not as hex to be decoded.
            cursor = conn.cursor(row_factory=tuple_row, binary=True)
            cursor.execute(query, (after, limit))
            return cursor.fetchall()

    def page_rows(
        self, after: int, limit: int, types: frozenset[str] | None = None
    ) -> tuple[list[StoredRow], int, int]:
        """With `types`, the rows of other events are left out altogether: a projection that
        follows a third of the log neither receives nor skips the other two thirds."""
        if types is None:
            return super().page_rows(after, limit)
        bounds = SQL(
            "SELECT max(notification_id), count(*) FROM (SELECT notification_id FROM {}"
            " WHERE notification_id > %s ORDER BY notification_id LIMIT %s) AS page"
        ).format(self._table())
        wanted = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
            " WHERE notification_id > %s AND notification_id <= %s"
            " AND split_part(topic, ':', 2) = ANY(%s) ORDER BY notification_id"
        ).format(self._table())
        with self.datastore.get_connection() as conn, conn.transaction():
            # One snapshot for both statements: the page's bounds are those of the rows read.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor = conn.cursor(row_factory=tuple_row, binary=True)
            last, read = cursor.execute(bounds, (after, limit)).fetchone() or (None, 0)
            if not read:
                return [], after, 0
            cursor.execute(wanted, (after, last, sorted(types)))
            return cursor.fetchall(), int(last), int(read)

    @contextlib.contextmanager
    def statement_beside(self, statement: str, table: str) -> Iterator[tuple[Any, Any]]:
        named = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(table))
        query = SQL(statement.replace("?", "%s")).format(table=named)  # type: ignore[arg-type]
        with self.datastore.cursor() as cursor:  # autocommit: the statement commits
            yield cursor, query

    def create_table_beside(self, statement: str, table: str, env: dict[str, str]) -> None:
        with creating_tables(env):  # beside eventsourcing's tables, under the same lock
            super().create_table_beside(statement, table, env)

    def purge_deleted_rows(self, tables: tuple[str, ...]) -> str:
        """A deleted row stays in the table's files until VACUUM; VACUUM (FULL) rewrites them."""
        with self.datastore.get_connection() as conn:  # autocommit: VACUUM needs it
            for table in tables:
                named = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(table))
                conn.execute(SQL("VACUUM (FULL) {}").format(named))
        return f"VACUUM (FULL) of {', '.join(tables)}"

    def shared_lock(self, name: str) -> SharedLock:
        key = zlib.crc32(f"{self.datastore.schema}.{name}".encode())
        pool_settings = dict(self.datastore.pool.kwargs)  # type: ignore[arg-type]
        return SharedLock(key, {k: v for k, v in pool_settings.items() if k != "row_factory"})

    def _table(self) -> Composed:
        return SQL("{}.{}").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )


def _row(event: StoredEvent) -> tuple[str, int, str, bytes]:
    return str(event.originator_id), event.originator_version, event.topic, event.state


def _columns(events: Sequence[StoredEvent]) -> tuple[list[str], list[int], list[str], list[bytes]]:
    rows = [_row(e) for e in events]
    return (
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
    )
