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
        # Binary results: the JSON states arrive as bytes, not as hex to be decoded.
        cursor = conn.cursor(row_factory=tuple_row, binary=True)
        cursor.execute(query, (after, limit))
        return cursor.fetchall()


def page_rows(
    recorder: ApplicationRecorder, after: int, limit: int, types: frozenset[str] | None = None
) -> tuple[list[Row], int, int]:
    """Like `stored_rows`, and the position of the last row read and how many were read.
    With `types`, Postgres leaves out the rows of other events altogether: a projection that
    follows a third of the log neither receives nor skips the other two thirds."""
    if types is not None and isinstance(recorder, PostgresApplicationRecorder):
        return _postgres_wanted(recorder, after, limit, types)
    rows = stored_rows(recorder, after, limit)
    return rows, (rows[-1][0] if rows else after), len(rows)


def _postgres_wanted(
    recorder: PostgresApplicationRecorder, after: int, limit: int, types: frozenset[str]
) -> tuple[list[Row], int, int]:
    datastore = recorder.datastore
    table = SQL("{}.{}").format(
        Identifier(datastore.schema), Identifier(recorder.events_table_name)
    )
    bounds = SQL(
        "SELECT max(notification_id), count(*) FROM (SELECT notification_id FROM {}"
        " WHERE notification_id > %s ORDER BY notification_id LIMIT %s) AS page"
    ).format(table)
    wanted = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
        " WHERE notification_id > %s AND notification_id <= %s"
        " AND split_part(topic, ':', 2) = ANY(%s) ORDER BY notification_id"
    ).format(table)
    with datastore.get_connection() as conn, conn.transaction():
        # One snapshot for both statements: the page's bounds are those of the rows read.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        # Binary results: the JSON states arrive as bytes, not as hex to be decoded.
        cursor = conn.cursor(row_factory=tuple_row, binary=True)
        last, read = cursor.execute(bounds, (after, limit)).fetchone() or (None, 0)
        if not read:
            return [], after, 0
        cursor.execute(wanted, (after, last, sorted(types)))
        return cursor.fetchall(), int(last), int(read)


def _sqlite_rows(recorder: SQLiteApplicationRecorder, after: int, limit: int) -> list[Row]:
    statement = (
        "SELECT rowid, originator_id, originator_version, topic, state"  # noqa: S608 (own table)
        f" FROM {recorder.events_table_name}"
        " WHERE rowid > ? ORDER BY rowid LIMIT ?"
    )
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, (after, limit))
        return [tuple(row) for row in cursor.fetchall()]
