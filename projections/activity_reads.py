"""Reciprocity of an account and the summary of an organisation, for any service-date range.

Counted: completed exchanges; a reversal entry cancels its exchange's entry (same account,
partner and service date, opposite `sign`), so reversed exchanges count as never having
happened. Sums (exchanges, minutes, by category, by month) add up per-day rows of
`org_days`: O(days x categories in the range).

Distinct counts (partners, active accounts, connections) cannot be summed from days. For a
range that is exactly a calendar month, quarter or year, or all time (open at both ends),
the summary reads them from `org_periods` (`projections.periods`), one row, and the active
accounts by month from its month rows whenever the range is whole months: O(months in the
range). For any other range, and for reciprocity, they group the statement rows of the range,
read through an index on (account or organisation, service date): O(the account's or the
organisation's balance moves in the range), never the whole history.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date
from typing import Any

from projections.store import Params, ViewStore

Row = dict[str, Any]
FIRST, LAST = "0000-01-01", "9999-12-31"

_RECIPROCITY = """
SELECT COALESCE(SUM(given), 0) AS given, COALESCE(SUM(received), 0) AS received,
  COALESCE(SUM(n_given), 0) AS exchanges_given,
  COALESCE(SUM(n_received), 0) AS exchanges_received,
  COALESCE(SUM(CASE WHEN n_given > 0 THEN 1 ELSE 0 END), 0) AS partners_given_to,
  COALESCE(SUM(CASE WHEN n_received > 0 THEN 1 ELSE 0 END), 0) AS partners_received_from,
  COALESCE(SUM(CASE WHEN n_given > 0 OR n_received > 0 THEN 1 ELSE 0 END), 0)
    AS distinct_partners
FROM (SELECT counterparty,
    SUM(CASE WHEN gave = 1 THEN minutes ELSE 0 END) AS given,
    SUM(CASE WHEN gave = 0 THEN -minutes ELSE 0 END) AS received,
    SUM(CASE WHEN gave = 1 THEN sign ELSE 0 END) AS n_given,
    SUM(CASE WHEN gave = 0 THEN sign ELSE 0 END) AS n_received
  FROM {statements} WHERE account_id = ? AND service_date BETWEEN ? AND ?
  GROUP BY counterparty) AS partners
"""
_ACTIVE = """
SELECT COUNT(*) AS active,
  COALESCE(SUM(CASE WHEN n_given > 0 AND n_received > 0 THEN 1 ELSE 0 END), 0) AS both_ways
FROM (SELECT account_id,
    SUM(CASE WHEN gave = 1 THEN sign ELSE 0 END) AS n_given,
    SUM(CASE WHEN gave = 0 THEN sign ELSE 0 END) AS n_received
  FROM {statements} WHERE organisation = ? AND service_date BETWEEN ? AND ?
  GROUP BY account_id) AS accounts
WHERE n_given > 0 OR n_received > 0
"""
_ACTIVE_BY_MONTH = """
SELECT month, COUNT(*) AS active
FROM (SELECT account_id, SUBSTR(service_date, 1, 7) AS month, SUM(sign) AS n
  FROM {statements} WHERE organisation = ? AND service_date BETWEEN ? AND ?
  GROUP BY account_id, month) AS account_months
WHERE n > 0 GROUP BY month
"""
_CONNECTIONS = """
SELECT COUNT(*) AS connections
FROM (SELECT CASE WHEN account_id < counterparty THEN account_id ELSE counterparty END AS one,
    CASE WHEN account_id < counterparty THEN counterparty ELSE account_id END AS other,
    SUM(sign) AS n
  FROM {statements} WHERE organisation = ? AND service_date BETWEEN ? AND ?
  GROUP BY one, other) AS pairs
WHERE n > 0
"""
_DAYS = """
SELECT category, SUBSTR(day, 1, 7) AS month, SUM(exchanges) AS exchanges,
  SUM(minutes) AS minutes, SUM(cross_minutes) AS cross_minutes
FROM {org_days} WHERE organisation = ? AND day BETWEEN ? AND ?
GROUP BY category, month
"""
_PERIOD = """
SELECT active, gave_and_received AS both_ways, connections FROM {org_periods}
WHERE organisation = ? AND span = ? AND period = ?
"""
_PERIOD_MONTHS = """
SELECT period AS month, active FROM {org_periods}
WHERE organisation = ? AND span = 'month' AND period BETWEEN ? AND ?
"""
# Gifts pass credits on; they are in no other figure of the summary.
_GIFTED = """
SELECT COALESCE(SUM(minutes), 0) AS minutes FROM {gift_days}
WHERE organisation = ? AND day BETWEEN ? AND ?
"""


def _range(start: date | None, end: date | None) -> tuple[str, str]:
    return (start.isoformat() if start else FIRST, end.isoformat() if end else LAST)


def reciprocity(view: ViewStore, account_id: str, start: date | None, end: date | None) -> Row:
    row = view.read(_RECIPROCITY, (account_id, *_range(start, end)))[0]
    figures = {key: int(value) for key, value in row.items()}
    both = figures["exchanges_given"] > 0 and figures["exchanges_received"] > 0
    return {**figures, "gave_and_received": both}


def summary(view: ViewStore, org: str, start: date | None, end: date | None) -> Row:
    span = (org, *_range(start, end))
    period, months = calendar_period(start, end), whole_months(start, end)
    with view.consistent() as read:  # one state of the views for every statement
        accounts = read("SELECT accounts FROM {organisations} WHERE id = ?", (org,))
        counts = _distinct_counts(read, org, period, span)
        if months is None:
            active_by_month = read(_ACTIVE_BY_MONTH, span)
        else:
            active_by_month = read(_PERIOD_MONTHS, (org, *months))
        days = read(_DAYS, span)
        gifted = read(_GIFTED, span)[0]["minutes"]
    return {
        "organisation": org,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "accounts": int(accounts[0]["accounts"]) if accounts else 0,
        "active_accounts": counts["active"],
        "gave_and_received": counts["both_ways"],
        "connections": counts["connections"],
        **_sums(days, {r["month"]: int(r["active"]) for r in active_by_month}),
        "gifted_minutes": int(gifted),
    }


def _distinct_counts(
    read: Callable[..., list[Row]], org: str, period: tuple[str, str] | None, span: Params
) -> dict[str, int]:
    """Active accounts, both ways and connections: kept counts, or counted from the rows."""
    if period is not None:
        kept = read(_PERIOD, (org, *period))
        row = kept[0] if kept else {"active": 0, "both_ways": 0, "connections": 0}
        return {key: int(value) for key, value in row.items()}
    active = read(_ACTIVE, span)[0]
    return {
        "active": int(active["active"]),
        "both_ways": int(active["both_ways"]),
        "connections": int(read(_CONNECTIONS, span)[0]["connections"]),
    }


def calendar_period(start: date | None, end: date | None) -> tuple[str, str] | None:
    """(span, period) of `org_periods` when the range is exactly one calendar period."""
    if start is None and end is None:
        return ("all", "")
    if start is None or end is None or start.day != 1 or end != _month_end(end):
        return None
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months == 1:
        return ("month", start.isoformat()[:7])
    if months == 3 and start.month % 3 == 1:
        return ("quarter", f"{start.year}-Q{(start.month + 2) // 3}")
    if months == 12 and start.month == 1:
        return ("year", str(start.year))
    return None


def whole_months(start: date | None, end: date | None) -> tuple[str, str] | None:
    """The first and last month of a range made of whole months (open ends included)."""
    if (start is not None and start.day != 1) or (end is not None and end != _month_end(end)):
        return None
    return (start.isoformat()[:7] if start else FIRST[:7], end.isoformat()[:7] if end else LAST[:7])


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _sums(days: list[Row], active_by_month: dict[str, int]) -> Row:
    totals = {"exchanges": 0, "minutes": 0, "cross_organisation_minutes": 0}
    by_category: dict[str, list[int]] = {}
    by_month: dict[str, list[int]] = {}
    for row in days:
        exchanges, minutes = int(row["exchanges"]), int(row["minutes"])
        totals["exchanges"] += exchanges
        totals["minutes"] += minutes
        totals["cross_organisation_minutes"] += int(row["cross_minutes"])
        for key, table in ((row["category"], by_category), (row["month"], by_month)):
            sums = table.setdefault(key, [0, 0])
            sums[0] += exchanges
            sums[1] += minutes
    return {
        **totals,
        "by_category": {
            category: sums[1] for category, sums in sorted(by_category.items()) if sums[0] > 0
        },
        "by_month": [
            {
                "month": month,
                "exchanges": sums[0],
                "minutes": sums[1],
                "active_accounts": active_by_month.get(month, 0),
            }
            for month, sums in sorted(by_month.items())
            if sums[0] > 0
        ],
    }
