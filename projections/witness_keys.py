"""Witness keys as the API reads them: a projection of `WitnessKey` events.

The ledger trusts a cosignature only against a key in this table that is not removed, and
the table holds only what `WitnessKey.Registered` events say: whoever wants a key trusted
must register it through the API, as the broker of an organisation or the operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from projections.base import LedgerProjection
from projections.events import LogEvent
from projections.store import Cursor, ViewStore

Row = dict[str, Any]
FIELDS = "id, organisation, vkey, url, registered_at"


class WitnessKeys(LedgerProjection):
    name = "witness_keys"
    tables: ClassVar[Sequence[str]] = (
        "CREATE TABLE IF NOT EXISTS {witness_keys} (id TEXT PRIMARY KEY,"
        " organisation TEXT NOT NULL, vkey TEXT NOT NULL, url TEXT, registered_at TEXT NOT NULL,"
        " removed_at TEXT)",
    )
    drops: ClassVar[Sequence[str]] = ("witness_keys",)
    types: ClassVar[frozenset[str] | None] = frozenset(
        {"WitnessKey.Registered", "WitnessKey.Removed"}
    )

    def apply(self, cursor: Cursor, events: Sequence[LogEvent]) -> None:
        for event in events:
            key_id = event.stream.removeprefix("witness-key:")
            if event.type == "WitnessKey.Registered":
                data = event.data
                cursor.execute(
                    "INSERT INTO {witness_keys} (id, organisation, vkey, url, registered_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (key_id, data["organisation"], data["vkey"], data["url"], event.recorded_at),
                )
            else:
                cursor.execute(
                    "UPDATE {witness_keys} SET removed_at = ? WHERE id = ?",
                    (event.recorded_at, key_id),
                )


class WitnessKeyReads:
    def __init__(self, view: ViewStore) -> None:
        self.view = view
        WitnessKeys(view)  # the table, if no worker has made it yet

    def of(self, org: str) -> list[Row]:
        return self.view.read(
            f"SELECT {FIELDS} FROM {{witness_keys}} WHERE organisation = ?"  # noqa: S608
            " AND removed_at IS NULL ORDER BY registered_at, id",
            (org,),
        )

    def active(self) -> list[Row]:
        """Every key in force, by organisation: what the policy and the cosignatures use."""
        return self.view.read(
            f"SELECT {FIELDS} FROM {{witness_keys}} WHERE removed_at IS NULL"  # noqa: S608
            " ORDER BY organisation, registered_at, id"
        )

    def position(self) -> int:
        return self.view.max_tracking_id(WitnessKeys.name) or 0
