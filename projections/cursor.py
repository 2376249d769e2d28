"""One dialect for the views' SQL: written once for SQLite, adapted for Postgres.

`{table}` names (schema-qualified on Postgres), `?` placeholders, rows as dicts; many-row
inserts and upserts go through COPY on Postgres, several times faster than row by row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from psycopg.rows import tuple_row

Params = Sequence[Any]
Row = dict[str, Any]
_PLACEHOLDER = re.compile(r"\?")
_TABLE = re.compile(r"\{(\w+)\}")
_INSERT = re.compile(r"\s*INSERT INTO \{(\w+)\} \(([\w, ]+)\)\s+VALUES \([?, ]+\)(.*)", re.S)
_IN_LIST = "IN (??)"
_SQLITE_IN_CHUNK = 500
_COPY_THRESHOLD = 32


class Cursor:
    """One dialect for the views' SQL: `{table}` names, `?` placeholders, rows as dicts."""

    def __init__(self, raw: Any, postgres: bool, schema: str) -> None:
        # eventsourcing wraps sqlite3's cursor and hides rowcount: use the real one.
        self._raw = getattr(raw, "sqlite_cursor", raw)
        self._postgres = postgres
        self._schema = schema

    def sql(self, statement: str) -> str:
        if not self._postgres:
            return _TABLE.sub(r"\1", statement)
        statement = _TABLE.sub(lambda m: f'"{self._schema}".{m.group(1)}', statement)
        return _PLACEHOLDER.sub("%s", statement)

    def execute(self, statement: str, params: Params = ()) -> Cursor:
        self._raw.execute(self.sql(statement), tuple(params))
        return self

    def executemany(self, statement: str, rows: Sequence[Params]) -> None:
        """Run a statement once per row; on Postgres, a many-row INSERT (upserts too) goes
        through COPY into a staging table and one INSERT ... SELECT, several times faster."""
        if not rows:
            return
        insert = _INSERT.fullmatch(statement) if self._postgres else None
        if insert is None or len(rows) < _COPY_THRESHOLD:
            self._raw.executemany(self.sql(statement), [tuple(r) for r in rows])
            return
        table, columns, rest = insert.groups()
        if not rest.strip():  # a plain insert: straight into the table
            with self._raw.copy(self.sql(f"COPY {{{table}}} ({columns}) FROM STDIN")) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        stage = self._stage(table, columns)
        with self._raw.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # Names and columns come from the projections' own statements, never from input.
        insert_select = f"INSERT INTO {{{table}}} ({columns}) SELECT {columns} FROM {stage} {rest}"  # noqa: S608
        self._raw.execute(self.sql(insert_select))
        self._raw.execute(f"DELETE FROM {stage}")  # noqa: S608

    def _stage(self, table: str, columns: str) -> str:
        """A temporary table of the connection, shaped like the target's columns."""
        stage = f"stage_{self._schema}_{table}"[:63]
        target = self.sql("{" + table + "}")
        self._raw.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS"  # noqa: S608
            f" AS SELECT {columns} FROM {target} WITH NO DATA"
        )
        return stage

    def select_in(self, statement: str, values: Sequence[Any], params: Params = ()) -> list[Row]:
        """Rows of a statement with one `IN (??)` list, then `params` for the other `?`."""
        if not values:
            return []
        if self._postgres:
            one_array = statement.replace(_IN_LIST, "= ANY(?)")
            return self.execute(one_array, (list(values), *params)).all()
        found: list[Row] = []
        for start in range(0, len(values), _SQLITE_IN_CHUNK):
            chunk = list(values[start : start + _SQLITE_IN_CHUNK])
            marks = "IN (" + ", ".join("?" * len(chunk)) + ")"
            found += self.execute(statement.replace(_IN_LIST, marks), (*chunk, *params)).all()
        return found

    @property
    def rowcount(self) -> int:
        return int(self._raw.rowcount)

    def tuples(self, statement: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Run a statement; its rows as plain tuples (this cursor makes them so from now on)."""
        self._raw.row_factory = tuple_row if self._postgres else None
        self._raw.execute(self.sql(statement), tuple(params))
        return list(self._raw.fetchall())

    def all(self) -> list[Row]:
        return [dict(row) for row in self._raw.fetchall()]

    def one(self) -> Row | None:
        row = self._raw.fetchone()
        return dict(row) if row is not None else None
