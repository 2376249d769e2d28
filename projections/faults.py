"""Projections that cannot get past an event, recorded beside the tracking positions.

The projection workers usually run in a process of their own (`timebank project`), so a
stuck projection is written to the database, where every API process's `/readyz` and
`/metrics` can see it; the row goes as soon as the projection moves on. (The table is
made with the tracking table, in `ViewStore`.)
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.ports import utc_now
from projections.storable import storable_text
from projections.store import ViewStore

ERROR_MAX = 500


@dataclass(frozen=True)
class Fault:
    projection: str
    position: int  # the projection stays here: the page after it failed
    error: str
    since: str  # ISO 8601, UTC


def record(view: ViewStore, fault: Fault) -> None:
    error = storable_text(fault.error)[:ERROR_MAX]
    with view.transaction() as cursor:
        cursor.execute(
            "INSERT INTO {projection_faults} (name, position, error, since) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET position = excluded.position,"
            " error = excluded.error, since = excluded.since",
            (fault.projection, fault.position, error, fault.since),
        )


def clear(view: ViewStore, projection: str) -> None:
    with view.transaction() as cursor:
        cursor.execute("DELETE FROM {projection_faults} WHERE name = ?", (projection,))


def stuck(view: ViewStore) -> list[Fault]:
    """Every projection stuck now, by name: one still at the position where it failed (a
    row left by a runner that stopped before it could clear it names an older position)."""
    rows = view.read(
        "SELECT f.name, f.position, f.error, f.since FROM {projection_faults} f"
        " JOIN {projection_tracking} t ON t.name = f.name AND t.position = f.position"
        " ORDER BY f.name"
    )
    return [Fault(r["name"], int(r["position"]), r["error"], r["since"]) for r in rows]


def now() -> str:
    return utc_now().isoformat(timespec="seconds").replace("+00:00", "Z")
