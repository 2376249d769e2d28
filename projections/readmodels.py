"""`ReadModels` over the views: what the API's read endpoints call.

Every read answers from the views in O(1) or O(page) (reciprocity and summaries: in the
rows of their date range); none folds events on the request path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from projections import account_reads, activity_reads, exchange_reads, participation_reads
from projections.base import LedgerProjection
from projections.paging import Page
from projections.queries import Row
from projections.store import ViewStore


def utc_today() -> date:
    return datetime.now(UTC).date()


class LedgerReadModels:
    def __init__(
        self,
        view: ViewStore,
        projections: Sequence[LedgerProjection],
        today: Callable[[], date] = utc_today,
    ) -> None:
        self.view = view
        self.projections = list(projections)
        self.today = today
        self.on_close: list[Callable[[], None]] = []

    def position(self) -> int:
        return min((p.position() for p in self.projections), default=0)

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

    def account_now(self, account_id: str) -> tuple[int, Row | None]:
        names = [p.name for p in self.projections]
        return account_reads.account_now(self.view, account_id, names)

    def accounts(self, organisation: str, after: str | None, limit: int) -> Page:
        return account_reads.accounts(self.view, organisation, after, limit)

    def statement(self, account_id: str, after: str | None, limit: int) -> Page:
        return account_reads.statement(self.view, account_id, after, limit)

    def reciprocity(self, account_id: str, start: date | None, end: date | None) -> Row:
        return activity_reads.reciprocity(self.view, account_id, start, end)

    def summary(self, organisation: str, start: date | None, end: date | None) -> Row:
        return activity_reads.summary(self.view, organisation, start, end)

    def exchange(self, exchange_id: str) -> Row | None:
        return exchange_reads.exchange(self.view, exchange_id, self.today())

    def exchanges(
        self,
        *,
        account: str | None = None,
        status: str | None = None,
        organisation: str | None = None,
        recorded_by_key: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> Page:
        return exchange_reads.exchanges(
            self.view,
            self.today(),
            account=account,
            status=status,
            organisation=organisation,
            recorded_by_key=recorded_by_key,
            after=after,
            limit=limit,
        )

    def pending(self, organisation: str, after: str | None, limit: int) -> Page:
        return exchange_reads.pending(self.view, organisation, after, limit, self.today())

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
        return participation_reads.gift(self.view, gift_id)
