"""The ledger's read models as one projection: balances, statements, exchanges, activity.

One projection rather than one per table because they all follow the same exchange facts:
each page is read and decoded once, the exchanges it touches are looked up once, and every
table moves with a single tracking position in a single transaction. That is most of what
makes a replay of a million events fast, and it keeps the views consistent with each other.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections import activity, balances, exchanges
from projections.base import LedgerProjection
from projections.events import LogEvent
from projections.moves import Page
from projections.store import Cursor

_PARTS = (balances, exchanges, activity)


class LedgerViews(LedgerProjection):
    name = "ledger_views"
    tables = tuple(statement for part in _PARTS for statement in part.TABLES)
    drops = tuple(table for part in _PARTS for table in part.DROPS)
    types = balances.TYPES | exchanges.TYPES

    def apply(self, cursor: Cursor, events: Sequence[LogEvent]) -> None:
        page = Page.read(cursor, events)
        for part in _PARTS:
            part.apply(cursor, page)
