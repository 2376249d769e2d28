"""What the read side answers: the one interface the API's read endpoints use.

Every method answers from materialised views in O(1) or O(page) in the size of the history;
none folds events on the request path. Values are plain JSON-ready dicts in the contract's
shapes, so the API only adds `as_of_position` and serialises.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from projections.faults import Fault
from projections.paging import ResultPage
from projections.store import ViewStore

Row = dict[str, Any]


class ReadModels(Protocol):
    @property
    def view(self) -> ViewStore:
        """The views' tables, for the brokers' pages (projections/broker_reads.py), which
        read them in more ways than the methods below."""

    def position(self) -> int:
        """The position every view has processed (the lowest tracking position): as_of_position."""

    def stuck(self) -> list[Fault]:
        """Projections that cannot get past an event (see `projections.faults`)."""

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Block until every view has processed `position`; False on timeout."""

    def organisation(self, org: str) -> Row | None:
        """{id, name, credit_limit, max_balance, pending_expiry_days}."""

    def account(
        self, account_id: str, *, at_position: int | None = None, as_of: date | None = None
    ) -> Row | None:
        """{id, organisation, ref, kind, status, credit_limit, max_balance, balance, given,
        received, over_limit, last_activity}; with at_position/as_of, the figures as they stood
        then (as_of: end of that UTC day, by recorded_at: what the ledger said then).
        `last_activity` is the latest service date of the account's exchanges."""

    def account_by_service_date(self, account_id: str, last_day: date) -> Row | None:
        """`account`'s shape, the figures counting the exchanges with a service date up to
        `last_day`, whenever they were recorded (after a migration, the history's own dates)."""

    def account_now(self, account_id: str) -> tuple[int, Row | None]:
        """`position()` and `account(account_id)` read together, in one statement."""

    def accounts(self, organisation: str, after: str | None, limit: int) -> ResultPage:
        """The organisation's accounts, ordered by id, in the `account` shape."""

    def statement(self, account_id: str, after: str | None, limit: int) -> ResultPage:
        """Entries {exchange_id, counterparty, minutes (signed), balance (running), service_date,
        recorded_at, category, kind ("exchange" | "reversal")}, oldest first."""

    def reciprocity(self, account_id: str, start: date | None, end: date | None) -> Row:
        """{given, received, exchanges_given, exchanges_received, partners_given_to,
        partners_received_from, distinct_partners, gave_and_received} for completed exchanges
        with service_date in [start, end] (reversed ones count as never having happened)."""

    def exchange(self, exchange_id: str) -> Row | None:
        """{id, status, giver, receiver, minutes, service_date, category, note, note_erased,
        recorded_at, recorded_by, recorded_by_key, awaiting, expires_on, position}; a pending
        exchange past its expiry reads as "expired"; an erased note reads None."""

    def sealed_notes(self, account_id: str, key_ids: set[str]) -> int:
        """How many of the account's exchanges hold a note sealed under one of these keys."""

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
        """Exchanges oldest first, filtered; `organisation` keeps those with a party in it."""

    def pending(self, organisation: str, after: str | None, limit: int) -> ResultPage:
        """Pending (not yet expired) exchanges awaiting the organisation's confirmation."""

    def summary(self, organisation: str, start: date | None, end: date | None) -> Row:
        """The contract's organisation summary (without as_of_position)."""

    def changes(
        self, organisation: str, after: str | None, limit: int, key: str | None = None
    ) -> tuple[list[Row], str]:
        """The organisation's changes after position `after`, oldest first, and the cursor
        that follows them; with `key`, only changes to exchanges that key recorded."""

    def participation(self, organisation: str, start: date | None, end: date | None) -> Row:
        """{organisation, from, to, months, cohorts} (the contract's participation), by whole
        months from start's month to end's; from and to answer the months covered."""

    def report_min_count(self, organisation: str) -> int | None:
        """The organisation's default min_count for reports that leave it (None: none)."""

    def gift(self, gift_id: str) -> Row | None:
        """{id, status, from, to, organisation, minutes, day, note, recorded_at,
        recorded_by_key, position}."""
