"""A partner organisation: the defaults its members' accounts start with."""

from __future__ import annotations

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import InvalidRequest

MAX_MIN_COUNT = 1000


def organisation_stream(org: str) -> str:
    return f"organisation:{org}"


def check_min_count(min_count: object) -> int | None:
    """The smallest count of people a report that leaves the organisation may show."""
    if min_count is None:
        return None
    if not isinstance(min_count, int) or isinstance(min_count, bool):
        raise InvalidRequest("min_count must be a whole number", field="min_count")
    if not 1 <= min_count <= MAX_MIN_COUNT:
        raise InvalidRequest(f"min_count must be 1 to {MAX_MIN_COUNT}", field="min_count")
    return min_count


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
        return self.id.removeprefix("organisation:")

    @event("ReportingChanged")
    def change_reporting(self, min_count: int | None) -> None:
        self.report_min_count = min_count
