"""The stored events as plain tuples, read straight from each backend's table.

eventsourcing's `select_notifications` builds a dict and a `Notification` per row; a replay
of a million events spends more time there than in the projections themselves.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

Row = tuple[int, str, int, str, Any]  # position, stream, version, topic, state (JSON bytes)


def stored_rows(recorder: ApplicationRecorder, after: int, limit: int) -> list[Row]:
    """Rows with positions greater than `after`, oldest first, at most `limit`."""
    if isinstance(recorder, PostgresApplicationRecorder):
        return _postgres_rows(recorder, after, limit)
    if isinstance(recorder, SQLiteApplicationRecorder):
        return _sqlite_rows(recorder, after, limit)
    notifications = recorder.select_notifications(
        start=after, limit=limit, inclusive_of_start=False
    )
    return [
        (n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in notifications
    ]


def _postgres_rows(recorder: PostgresApplicationRecorder, after: int, limit: int) -> list[Row]:
    datastore = recorder.datastore
    query = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {}.{}"
        " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    ).format(Identifier(datastore.schema), Identifier(recorder.events_table_name))
    with datastore.get_connection() as conn, conn.transaction():
        cursor = conn.cursor(row_factory=tuple_row)
        cursor.execute(query, (after, limit))
        return cursor.fetchall()


def _sqlite_rows(recorder: SQLiteApplicationRecorder, after: int, limit: int) -> list[Row]:
    statement = (
        "SELECT rowid, originator_id, originator_version, topic, state"  # noqa: S608 (own table)
        f" FROM {recorder.events_table_name}"
        " WHERE rowid > ? ORDER BY rowid LIMIT ?"
    )
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, (after, limit))
        return [tuple(row) for row in cursor.fetchall()]
