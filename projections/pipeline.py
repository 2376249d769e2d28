"""Catching the ledger's views up with a long log: work out page N+1 while page N commits
(projections/overlap.py). Preparing a page needs the rows it changes as the
page before left them, and that page may not have committed yet; so the rows every page
touches stay in memory: all accounts touched (there are few), and the exchanges of the page
in flight. Anything else is read from the database, where every earlier page has committed.

Each page still commits with its position, by compare-and-set: if another runner moved the
position, the commit fails, nothing in memory is trusted any more, and the error is raised.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.persistence import ApplicationRecorder

from projections.events import read_page
from projections.lookups import (
    SELECT_ACCOUNT_MONTHS,
    SELECT_ACCOUNTS,
    SELECT_EXCHANGES,
    SELECT_PAIR_MONTHS,
    by_account,
    by_id,
    by_pair,
    stored_note_organisations,
)
from projections.overlap import Commit, commit_behind
from projections.views import LedgerViews

Row = dict[str, Any]


class Remembered:
    """Rows from memory first, the database (committed pages) for the rest."""

    def __init__(self, views: LedgerViews, *, from_empty: bool = False) -> None:
        self.views = views
        # From position 0 the tables start empty: a pair never seen has no rows to read.
        self.from_empty = from_empty
        self.pairs_seen: set[str] = set()
        self.accounts_seen: dict[str, Row] = {}
        self.exchanges_in_flight: dict[str, Row] = {}
        self.months_seen: dict[str, Any] = {}
        self.pairs_in_flight: dict[str, Any] = {}  # pairs are many: the page in flight only

    def exchanges(self, ids: Sequence[str]) -> dict[str, Row]:
        found = {i: self.exchanges_in_flight[i] for i in ids if i in self.exchanges_in_flight}
        return found | self._stored(SELECT_EXCHANGES, [i for i in ids if i not in found])

    def accounts(self, ids: Sequence[str]) -> dict[str, Row]:
        found = {i: self.accounts_seen[i] for i in ids if i in self.accounts_seen}
        return found | self._stored(SELECT_ACCOUNTS, [i for i in ids if i not in found])

    def account_months(self, ids: Sequence[str]) -> dict[str, Any]:
        found = {i: self.months_seen[i] for i in ids if i in self.months_seen}
        missing = [i for i in ids if i not in found]
        if not missing:
            return found
        with self.views.view.transaction() as cursor:
            return found | by_account(cursor.select_in(SELECT_ACCOUNT_MONTHS, missing))

    def pair_months(self, pairs: Sequence[str]) -> dict[str, Any]:
        found = {p: self.pairs_in_flight[p] for p in pairs if p in self.pairs_in_flight}
        missing = [p for p in pairs if p not in found]
        if self.from_empty:
            missing = [p for p in missing if p in self.pairs_seen]
        if not missing:
            return found
        with self.views.view.transaction() as cursor:
            return found | by_pair(cursor.select_in(SELECT_PAIR_MONTHS, missing))

    def note_organisations(self, account_id: str) -> set[str]:
        in_flight = [
            e for e in self.exchanges_in_flight.values()
            if account_id in (e["giver"], e["receiver"]) and e["note"] is not None
        ]  # fmt: skip
        with self.views.view.transaction() as cursor:
            found = stored_note_organisations(cursor, account_id)
        return found | {org for e in in_flight for org in (e["giver_org"], e["receiver_org"])}

    def _stored(self, statement: str, ids: list[str]) -> dict[str, Row]:
        if not ids:
            return {}
        with self.views.view.transaction() as cursor:
            return by_id(cursor.select_in(statement, ids))


def catch_up_pipelined(recorder: ApplicationRecorder, views: LedgerViews, size: int) -> int:
    """Process everything recorded so far; return how many events were read."""
    return commit_behind(views.name, _pages(recorder, views, size))


def _pages(
    recorder: ApplicationRecorder, views: LedgerViews, size: int
) -> Iterator[tuple[Commit, int]]:
    previous = views.position()
    memory = Remembered(views, from_empty=previous == 0)
    while True:
        log = read_page(recorder, previous, size, views.types)
        if log.last == previous:
            return
        page, writes = views.prepare(memory, log.events) if log.events else (None, [])
        yield functools.partial(views.commit, writes, previous, log.last), log.read
        if page is not None:  # its commit is submitted: what it leaves is the next page's
            memory.accounts_seen.update(page.accounts)
            memory.months_seen.update(page.account_months)
            memory.exchanges_in_flight = page.exchanges
            memory.pairs_in_flight = page.pair_months
            memory.pairs_seen.update(page.pair_months)
        previous = log.last
