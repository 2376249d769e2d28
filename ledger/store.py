"""What the ledger needs from the event store beyond eventsourcing's recorder interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier


def position_of(recorder: ApplicationRecorder, stream: str, version: int) -> int:
    """The global position (notification id) at which one event was recorded."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        statement = (
            f"SELECT rowid FROM {recorder.events_table_name}"  # noqa: S608 (our own table name)
            " WHERE originator_id=? AND originator_version=?"
        )
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(statement, (stream, version))
            row: Any = c.fetchone()
        return int(row[0])
    if isinstance(recorder, PostgresApplicationRecorder):
        query = SQL(
            "SELECT notification_id FROM {}.{} WHERE originator_id=%s AND originator_version=%s"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(query, (stream, version))
            pg_row = curs.fetchone()
        assert pg_row is not None
        return int(pg_row["notification_id"])
    if isinstance(recorder, POPOApplicationRecorder):
        for notification in recorder.select_notifications(start=1, limit=10**9):
            if notification.originator_id == stream and notification.originator_version == version:
                return notification.id
    raise LookupError(f"no event {stream}@{version}")


def ensure_postgres_schema(env: dict[str, str]) -> None:
    """eventsourcing creates tables but not the schema they live in."""
    schema = env.get("POSTGRES_SCHEMA")
    if not schema:
        return
    import psycopg

    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env.get("POSTGRES_PASSWORD") or None,
        connect_timeout=int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
        autocommit=True,
    ) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    """eventsourcing's recorder with a one-round-trip insert.

    The stock insert spends four or five round trips per commit (begin, lock, notify,
    insert, commit). Here a server-side function takes the table lock and inserts, and
    BEGIN, the call and COMMIT travel in one pipeline. The lock stays: it makes positions
    commit in order, so a reader that polls by position can never skip a late commit.
    No NOTIFY either: readers poll, and NOTIFY serialises every commit on a global lock.
    """

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_function = f"{events_table_name}_insert"[:63]
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ BEGIN "
                "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
                "RETURN QUERY INSERT INTO {schema}.{table} "
                "(originator_id, originator_version, topic, state) "
                "SELECT originator_id, originator_version, topic, state FROM unnest(events) "
                "RETURNING notification_id; END; $BODY$"
            ).format(
                schema=Identifier(self.datastore.schema),
                function=Identifier(self.insert_function),
                event=Identifier(self.stored_event_type_name),
                table=Identifier(self.events_table_name),
            )
        )
        self.invoke_insert = SQL("SELECT * FROM {}.{}(%s)").format(
            Identifier(self.datastore.schema), Identifier(self.insert_function)
        )

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        rows = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        # Pool connections are in autocommit mode: one statement is its own transaction,
        # so the whole commit costs one round trip.
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.invoke_insert, (rows,), prepare=True)
            ids = curs.fetchall()
        return [next(iter(row.values())) for row in ids]
