"""A partner organisation: the defaults its members' accounts start with."""

from __future__ import annotations

from eventsourcing.domain import event

from domain.base import LedgerAggregate


def organisation_stream(org: str) -> str:
    return f"organisation:{org}"


class Organisation(LedgerAggregate):
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
