"""`ReadModels` over the views: what the API's read endpoints call.

Every read answers from the views in O(1) or O(page) (reciprocity and summaries: in the
rows of their date range); none folds events on the request path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Protocol

from ledger.ports import utc_today
from ledger.sealing import is_sealed
from ledger.texts import Place, gift_note_place, note_place
from projections import (
    account_reads,
    activity_reads,
    exchange_reads,
    faults,
    feed_reads,
    gift_reads,
    participation_reads,
)
from projections.base import LedgerProjection
from projections.faults import Fault
from projections.paging import ResultPage
from projections.queries import Row
from projections.store import ViewStore

PlaceOf = Callable[[str], Place]


class OpenNotes(Protocol):
    """Opens the notes of rows in place (ledger/texts.py `TextVault.open_rows`); `place_of`
    says where a row's note belongs by the row's id (an exchange's, or a gift's)."""

    def __call__(self, rows: list[Row], place_of: PlaceOf = note_place) -> None: ...


class LedgerReadModels:
    def __init__(
        self,
        view: ViewStore,
        projections: Sequence[LedgerProjection],
        today: Callable[[], date] = utc_today,
        open_notes: OpenNotes | None = None,
    ) -> None:
        self.view = view
        self.open_notes = open_notes or unreadable_notes
        self.projections = list(projections)
        self.today = today
        self.on_close: list[Callable[[], None]] = []

    def position(self) -> int:
        return min((p.position() for p in self.projections), default=0)

    def stuck(self) -> list[Fault]:
        return faults.stuck(self.view)

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        for projection in self.projections:
            try:
                remaining = max(deadline - time.monotonic(), 0.0)
                self.view.wait(projection.name, position, timeout=remaining)
            except TimeoutError:
                return False
        return True

    def close(self) -> None:
        for close in self.on_close:
            close()

    def organisation(self, org: str) -> Row | None:
        return account_reads.organisation(self.view, org)

    def account(
        self, account_id: str, *, at_position: int | None = None, as_of: date | None = None
    ) -> Row | None:
        return account_reads.account(self.view, account_id, at_position, as_of)

    def account_by_service_date(self, account_id: str, last_day: date) -> Row | None:
        return account_reads.account_by_service_date(self.view, account_id, last_day)

    def account_now(self, account_id: str) -> tuple[int, Row | None]:
        names = [p.name for p in self.projections]
        return account_reads.account_now(self.view, account_id, names)

    def accounts(self, organisation: str, after: str | None, limit: int) -> ResultPage:
        return account_reads.accounts(self.view, organisation, after, limit)

    def statement(self, account_id: str, after: str | None, limit: int) -> ResultPage:
        return account_reads.statement(self.view, account_id, after, limit)

    def reciprocity(self, account_id: str, start: date | None, end: date | None) -> Row:
        return activity_reads.reciprocity(self.view, account_id, start, end)

    def summary(self, organisation: str, start: date | None, end: date | None) -> Row:
        return activity_reads.summary(self.view, organisation, start, end)

    def exchange(self, exchange_id: str) -> Row | None:
        row = exchange_reads.exchange(self.view, exchange_id, self.today())
        if row is not None:
            self.open_notes([row])
        return row

    def sealed_notes(self, account_id: str, key_ids: set[str]) -> int:
        """How many of the account's exchanges and gifts hold a note sealed under one of
        these keys."""
        exchanges = exchange_reads.sealed_notes(self.view, account_id, key_ids)
        return exchanges + gift_reads.sealed_gift_notes(self.view, account_id, key_ids)

    def exchanges(
        self,
        *,
        account: str | None = None,
        status: str | None = None,
        organisation: str | None = None,
        recorded_by_key: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> ResultPage:
        return self._opened(
            exchange_reads.exchanges(
                self.view,
                self.today(),
                account=account,
                status=status,
                organisation=organisation,
                recorded_by_key=recorded_by_key,
                after=after,
                limit=limit,
            )
        )

    def pending(self, organisation: str, after: str | None, limit: int) -> ResultPage:
        return self._opened(
            exchange_reads.pending(self.view, organisation, after, limit, self.today())
        )

    def changes(
        self, organisation: str, after: str | None, limit: int, key: str | None = None
    ) -> tuple[list[Row], str]:
        found, cursor = feed_reads.changes(self.view, organisation, after, limit, key)
        self.open_notes([change["exchange"] for change in found if "exchange" in change])
        return found, cursor

    def participation(self, organisation: str, start: date | None, end: date | None) -> Row:
        """From the month of `start` (default: the organisation's first active month) to
        the month of `end` (default: this month)."""
        last = participation_reads.month_of(end or self.today())
        first = participation_reads.month_of(start) if start else None
        first = first or participation_reads.first_month(self.view, organisation) or last
        return participation_reads.participation(self.view, organisation, min(first, last), last)

    def report_min_count(self, organisation: str) -> int | None:
        return participation_reads.report_min_count(self.view, organisation)

    def gift(self, gift_id: str) -> Row | None:
        row = gift_reads.gift(self.view, gift_id)
        if row is not None:
            self.open_notes([row], gift_note_place)
        return row

    def _opened(self, page: ResultPage) -> ResultPage:
        self.open_notes(page[0])
        return page


def unreadable_notes(rows: list[Row], place_of: PlaceOf = note_place) -> None:
    """Without the ledger's keys (an offline replay), a sealed note reads as unreadable."""
    for row in rows:
        sealed = is_sealed(row["note"])
        row["note"], row["note_erased"] = (None, True) if sealed else (row["note"], False)
