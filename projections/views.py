"""The ledger's read models as one projection: balances, statements, exchanges, activity,
the change feed.

One projection rather than one per table because they all follow the same exchange facts:
each page is read and decoded once, the exchanges it touches are looked up once, and every
table moves with a single tracking position in a single transaction. That is most of what
makes a replay of a million events fast, and it keeps the views consistent with each other.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections import activity, balances, exchange_rows, feed, gifts, participation, periods
from projections.base import LedgerProjection
from projections.events import LogEvent
from projections.lookups import Lookups, Stored, Write, write_all
from projections.moves import PreparedPage
from projections.storable import storable_events
from projections.store import Cursor

_PARTS = (balances, exchange_rows, activity, feed, gifts, participation, periods)


class LedgerViews(LedgerProjection):
    name = "ledger_views"
    tables = tuple(statement for part in _PARTS for statement in part.TABLES)
    drops = tuple(table for part in _PARTS for table in part.DROPS)
    types = balances.TYPES | exchange_rows.TYPES | gifts.TYPES | participation.TYPES

    def apply(self, cursor: Cursor, events: Sequence[LogEvent]) -> None:
        write_all(cursor, self.prepare(Stored(cursor), events)[1])

    def prepare(
        self, lookups: Lookups, events: Sequence[LogEvent]
    ) -> tuple[PreparedPage, list[Write]]:
        """What a page writes, worked out from the rows `lookups` finds; nothing written yet.
        Text the views' database cannot hold is written out (`projections.storable`)."""
        page = PreparedPage.read(lookups, storable_events(events))
        gifts.read(page)
        writes = (
            balances.prepare(page, lookups) + exchange_rows.prepare(page) + activity.prepare(page)
        )
        writes += feed.prepare(page, lookups)  # after the balances: `page.accounts` set
        writes += gifts.prepare(page) + participation.prepare(page, lookups)
        writes += periods.prepare(page, lookups)  # after the participation: `account_months`
        return page, writes

    def commit(self, writes: Sequence[Write], previous: int, last: int) -> None:
        """Write a prepared page with its position, atomically (see `process_batch`)."""
        with self.view.transaction() as cursor:
            self.view.advance(cursor, self.name, previous, last)
            write_all(cursor, writes)
        self.view.notify_advanced()
