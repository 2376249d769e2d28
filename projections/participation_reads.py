"""Participation and cohorts of an organisation over a range of months, and the gifts read.

Both read stored totals (`projections.participation`): one row per month and one per
(cohort, month) in the range, O(months x cohorts) whatever the size of the history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.store import ViewStore

Row = dict[str, Any]

_MONTHS = (
    "SELECT month, active, givers, receivers, gave_and_received FROM {org_months}"
    " WHERE organisation = ? AND month BETWEEN ? AND ?"
)
_CELLS = (
    "SELECT cohort, month, active FROM {cohort_months} WHERE organisation = ?"
    " AND cohort BETWEEN ? AND ? AND month BETWEEN ? AND ? AND active <> 0"
)
_FIRST = "SELECT MIN(month) AS month FROM {org_months} WHERE organisation = ? AND active > 0"


def month_of(day: date) -> str:
    return day.isoformat()[:7]


def months_between(first: str, last: str) -> list[str]:
    """Every "YYYY-MM" from `first` to `last`, both included."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while (found := f"{year:04d}-{month:02d}") <= last:
        months.append(found)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def first_month(view: ViewStore, org: str) -> str | None:
    rows = view.read(_FIRST, (org,))
    return rows[0]["month"] if rows and rows[0]["month"] else None


def participation(view: ViewStore, org: str, first: str, last: str) -> Row:
    """`first` and `last` are months ("YYYY-MM"), both included."""
    with view.consistent() as read:  # one state of the views for both tables
        stored = {r["month"]: r for r in read(_MONTHS, (org, first, last))}
        cells = read(_CELLS, (org, first, last, first, last))
    active = {(r["cohort"], r["month"]): int(r["active"]) for r in cells}
    months = months_between(first, last)
    return {
        "organisation": org,
        "from": first,
        "to": last,
        "months": [_month(m, stored.get(m), active.get((m, m), 0)) for m in months],
        "cohorts": [
            {
                "cohort": cohort,
                "size": active[cohort, cohort],
                "active": [active.get((cohort, m), 0) for m in months[i:]],
            }
            for i, cohort in enumerate(months)
            if active.get((cohort, cohort), 0) > 0
        ],
    }


def _month(month: str, row: Row | None, new: int) -> Row:
    figures = {k: int(row[k]) if row else 0 for k in ("active", "givers", "receivers")}
    both = int(row["gave_and_received"]) if row else 0
    return {
        "month": month,
        **{"active": figures["active"], "new": new, "returning": figures["active"] - new},
        **{"givers": figures["givers"], "receivers": figures["receivers"]},
        "gave_and_received": both,
    }


def report_min_count(view: ViewStore, org: str) -> int | None:
    rows = view.read("SELECT min_count FROM {report_settings} WHERE organisation = ?", (org,))
    return int(rows[0]["min_count"]) if rows and rows[0]["min_count"] is not None else None
