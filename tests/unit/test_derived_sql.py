"""The SQL filters of the read models say what the domain's definitions say, on every case
near the edges: over limit (is_over_limit) and pending or expired (status_on)."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Mapping
from datetime import date

from domain.account import is_over_limit
from domain.exchange import COMPLETED, EXPIRED, PENDING, REJECTED, status_on
from projections.derived_sql import EXPIRED_BY, OVER_LIMIT, STILL_PENDING

TODAY = date(2025, 3, 10)


def matches(condition: str, columns: Mapping[str, object], *params: object) -> bool:
    names = ", ".join(f"? AS {name}" for name in columns)
    query = f"SELECT 1 FROM (SELECT {names}) WHERE {condition}"
    with sqlite3.connect(":memory:") as db:
        return db.execute(query, (*columns.values(), *params)).fetchone() is not None


def test_the_over_limit_filter_is_the_domain_rule() -> None:
    for balance, limit, cap in itertools.product(
        (-601, -600, -599, 0, 99, 100, 101), (0, 600), (None, 0, 100)
    ):
        row: dict[str, object] = {"balance": balance, "credit_limit": limit, "max_balance": cap}
        assert matches(OVER_LIMIT, row) == is_over_limit(balance, limit, cap), row


def test_the_pending_and_expired_filters_are_the_domain_rule() -> None:
    days = (None, "2025-03-09", "2025-03-10", "2025-03-11")
    for status, expires_on in itertools.product((PENDING, COMPLETED, REJECTED, EXPIRED), days):
        row: dict[str, object] = {"status": status, "expires_on": expires_on}
        reads_as = status_on(status, expires_on, TODAY)
        assert matches(STILL_PENDING, row, TODAY.isoformat()) == (reads_as == PENDING), row
        assert matches(EXPIRED_BY, row, TODAY.isoformat()) == (reads_as == EXPIRED), row
