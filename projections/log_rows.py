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

_WANTED_STATE = "CASE WHEN split_part(topic, ':', 2) = ANY(%s) THEN state END"
Row = tuple[int, str, int, str, Any]  # position, stream, version, topic, state (JSON bytes)


def stored_rows(
    recorder: ApplicationRecorder, after: int, limit: int, types: frozenset[str] | None = None
) -> list[Row]:
    """Rows with positions greater than `after`, oldest first, at most `limit`. With
    `types` (like "Exchange.Recorded"), Postgres may leave out the state of other events."""
    if isinstance(recorder, PostgresApplicationRecorder):
        return _postgres_rows(recorder, after, limit, types)
    if isinstance(recorder, SQLiteApplicationRecorder):
        return _sqlite_rows(recorder, after, limit)
    notifications = recorder.select_notifications(
        start=after, limit=limit, inclusive_of_start=False
    )
    return [
        (n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in notifications
    ]


def _postgres_rows(
    recorder: PostgresApplicationRecorder, after: int, limit: int, types: frozenset[str] | None
) -> list[Row]:
    datastore = recorder.datastore
    # Topics are "module:Class.Event"; the states of events nobody asked for stay behind.
    state = SQL("state" if types is None else _WANTED_STATE)
    query = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, {} FROM {}.{}"
        " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    ).format(state, Identifier(datastore.schema), Identifier(recorder.events_table_name))
    params = (after, limit) if types is None else (sorted(types), after, limit)
    with datastore.get_connection() as conn, conn.transaction():
        # Binary results: the JSON states arrive as bytes, not as hex to be decoded.
        cursor = conn.cursor(row_factory=tuple_row, binary=True)
        cursor.execute(query, params)
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
