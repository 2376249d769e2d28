"""Fresh databases per example, and one check that every read model equals the fold."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import psycopg

from ledger import Ledger, parse_database_url
from projections.events import read_log
from projections.readmodels import LedgerReadModels
from tests.conftest import PG_ADMIN_URL, require_postgres
from tests.integration.projection_fold import Fold
from tests.unit.support import Clock

Row = dict[str, Any]
STATUSES = ("pending", "completed", "rejected", "expired", "reversed")


@contextlib.contextmanager
def fresh_ledger(backend: str, clock: Clock | None = None) -> Iterator[Ledger]:
    """A ledger on a database of its own, dropped afterwards."""
    name = f"pj_{uuid.uuid4().hex[:12]}"
    with contextlib.ExitStack() as stack:
        if backend == "memory":
            url = "memory://"
        elif backend == "sqlite":
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            url = f"sqlite:///{folder}/{name}.sqlite3"
        else:
            require_postgres()
            url = stack.enter_context(_schema(name))
        ledger = Ledger(parse_database_url(url), clock=clock or Clock())
        stack.callback(ledger.close)
        yield ledger


@contextlib.contextmanager
def _schema(name: str) -> Iterator[str]:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield f"{PG_ADMIN_URL}?schema={name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def fold_of(ledger: Ledger) -> Fold:
    return Fold.of(read_log(ledger.recorder, 0, 10**9))


def every_page(read: Any, limit: int) -> list[dict[str, Any]]:
    """Follow `next` cursors to the end; every page but the last is full."""
    items, after = [], None
    while True:
        page, after = read(after, limit)
        items += page
        if after is None:
            return items
        assert len(page) == limit


def assert_reads_equal_the_fold(reads: LedgerReadModels, fold: Fold, today: date) -> None:
    _accounts(reads, fold)
    _activity(reads, fold, today)
    _exchanges(reads, fold, today)
    _feeds(reads, fold)


def _accounts(reads: LedgerReadModels, fold: Fold) -> None:
    for org, row in fold.organisations.items():
        assert reads.organisation(org) == row
        listed = every_page(lambda after, n, org=org: reads.accounts(org, after, n), 2)
        members = sorted(a for a in fold.accounts if fold.accounts[a]["organisation"] == org)
        assert [a["id"] for a in listed] == members
    for account_id, entries in fold.statements.items():
        assert reads.account(account_id) == fold.account(account_id)
        shown = every_page(lambda after, n, a=account_id: reads.statement(a, after, n), 3)
        assert shown == entries
        opened = fold.accounts[account_id]["opened"]
        assert reads.account(account_id, at_position=opened - 1) is None
        # Balances change only at entries: check just before and at some of them.
        sample = entries[:: 1 + len(entries) // 12]
        for position in {
            opened,
            *(e["position"] - 1 for e in sample),
            *(e["position"] for e in sample),
        }:
            then = reads.account(account_id, at_position=position)
            assert then is not None
            assert then["balance"] == fold.balance_at(account_id, position)


def _ranges(today: date) -> list[tuple[date | None, date | None]]:
    return [
        (None, None),
        (today - timedelta(days=20), None),
        (None, today - timedelta(days=20)),
        (today - timedelta(days=40), today - timedelta(days=10)),
        (today, today),
        *calendar_ranges(today),
    ]


def calendar_ranges(today: date) -> list[tuple[date, date]]:
    """This month and the one before, this quarter, this year and the one before: the
    ranges the summary answers from kept counts."""
    month = today.replace(day=1)
    before = (month - timedelta(days=1)).replace(day=1)
    quarter = month.replace(month=(month.month - 1) // 3 * 3 + 1)
    return [
        (month, _last_day(month)),
        (before, _last_day(before)),
        (quarter, _last_day(quarter.replace(month=quarter.month + 2))),
        (date(today.year, 1, 1), date(today.year, 12, 31)),
        (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    ]


def _last_day(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _activity(reads: LedgerReadModels, fold: Fold, today: date) -> None:
    for start, end in _ranges(today):
        for account_id in fold.accounts:
            assert reads.reciprocity(account_id, start, end) == fold.reciprocity(
                account_id, start, end
            )
        for org in fold.organisations:
            assert reads.summary(org, start, end) == fold.summary(org, start, end)
            first, last = (start or today - timedelta(days=70)), (end or today)
            if first <= last:
                got = reads.participation(org, first, last)
                assert got == fold.participation(org, got["from"], got["to"])
                assert (got["from"], got["to"]) == (first.isoformat()[:7], last.isoformat()[:7])
    for org in fold.organisations:
        assert reads.report_min_count(org) == fold.min_counts.get(org)


def _opened(reads: LedgerReadModels, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fold's rows with their notes opened as the read models open them (the ledger's
    keys open a note; the fold checks the projections)."""
    reads.open_notes(rows)
    return rows


def _exchanges(reads: LedgerReadModels, fold: Fold, today: date) -> None:
    for exchange_id in fold.exchanges:
        expected = _opened(reads, [fold.exchange(exchange_id, today)])[0]
        assert reads.exchange(exchange_id) == expected
    filters: list[dict[str, str | None]] = [{}]
    filters += [{"account": a} for a in fold.accounts]
    filters += [{"organisation": o} for o in fold.organisations]
    filters += [{"status": s} for s in STATUSES]
    filters += [{"account": a, "status": "completed"} for a in fold.accounts]
    filters += [{"organisation": o, "status": "pending"} for o in fold.organisations]
    filters += [{"recorded_by_key": "k1"}, {"recorded_by_key": "k1", "organisation": "north"}]
    for given in filters:
        listed = every_page(lambda after, n, f=given: reads.exchanges(**f, after=after, limit=n), 2)
        assert listed == _opened(reads, fold.exchange_list(today, **given)), given
    for org in fold.organisations:
        pending = every_page(lambda after, n, o=org: reads.pending(o, after, n), 2)
        assert pending == _opened(reads, fold.pending(org, today))


def every_change(reads: LedgerReadModels, org: str, key: str | None, limit: int) -> list[Row]:
    """Follow the feed's cursor until a page comes back empty, with the cursor unmoved."""
    items: list[Row] = []
    after: str | None = None
    while True:
        page, following = reads.changes(org, after, limit, key)
        if not page:
            assert following == (after or "0")
            return items
        assert len(page) <= limit
        items += page
        after = following


def _feeds(reads: LedgerReadModels, fold: Fold) -> None:
    for org in fold.organisations:
        for key in (None, "k1", "k2"):
            expected = fold.changes(org, key)
            _opened(reads, [change["exchange"] for change in expected if "exchange" in change])
            assert every_change(reads, org, key, 3) == expected, (org, key)
