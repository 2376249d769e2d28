"""Reciprocity of an account and the summary of an organisation, for any service-date range.

Counted: completed exchanges; a reversal entry cancels its exchange's entry (same account,
partner and service date, opposite `sign`), so reversed exchanges count as never having
happened. Sums (exchanges, minutes, by category, by month) add up per-day rows of
`org_days`: O(days x categories in the range). Distinct counts (partners, active accounts,
connections) cannot be summed from days; they group the statement rows of the range, read
through an index on (account or organisation, service date): O(the account's or the
organisation's balance moves in the range), never the whole history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.store import ViewStore

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
    with view.consistent() as read:  # six statements, one state of the views
        accounts = read("SELECT accounts FROM {organisations} WHERE id = ?", (org,))
        active = read(_ACTIVE, span)[0]
        connections = read(_CONNECTIONS, span)[0]["connections"]
        months = {r["month"]: int(r["active"]) for r in read(_ACTIVE_BY_MONTH, span)}
        days = read(_DAYS, span)
        gifted = read(_GIFTED, span)[0]["minutes"]
    return {
        "organisation": org,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "accounts": int(accounts[0]["accounts"]) if accounts else 0,
        "active_accounts": int(active["active"]),
        "gave_and_received": int(active["both_ways"]),
        "connections": int(connections),
        **_sums(days, months),
        "gifted_minutes": int(gifted),
    }


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
