"""What the ledger needs from the event store beyond eventsourcing's recorder interface."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import ApplicationRecorder
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
