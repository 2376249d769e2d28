"""A partner organisation: the defaults its members' accounts start with."""

from __future__ import annotations

from eventsourcing.domain import event

from domain.base import LedgerAggregate

ORGANISATION_STREAM_PREFIX = "organisation:"


def organisation_stream(org: str) -> str:
    return f"{ORGANISATION_STREAM_PREFIX}{org}"


def organisation_id_in(stream: str) -> str:
    """The organisation id an organisation's stream names: `organisation_stream` backwards."""
    return stream.removeprefix(ORGANISATION_STREAM_PREFIX)


class Organisation(LedgerAggregate):
    # A class default: organisations registered before the setting existed have none.
    report_min_count: int | None = None

    @event("Registered")
    def __init__(
        self,
        id: str,
        name: str,
        credit_limit: int,
        max_balance: int | None,
        pending_expiry_days: int,
    ) -> None:
        self.name = name
        self.credit_limit = credit_limit
        self.max_balance = max_balance
        self.pending_expiry_days = pending_expiry_days

    @property
    def org(self) -> str:
        return organisation_id_in(self.id)

    @event("ReportingChanged")
    def change_reporting(self, min_count: int | None) -> None:
        self.report_min_count = min_count
