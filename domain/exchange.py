"""An exchange of time: the giver earns, the receiver spends, an hour is an hour."""

from __future__ import annotations

from datetime import date

from eventsourcing.domain import event

from domain.account import Account
from domain.base import LedgerAggregate
from domain.errors import AlreadyReversed, Conflict, Forbidden, NotPending

PENDING = "pending"
COMPLETED = "completed"
REJECTED = "rejected"
EXPIRED = "expired"
REVERSED = "reversed"


def exchange_stream(exchange_id: str) -> str:
    return f"exchange:{exchange_id}"


class Exchange(LedgerAggregate):
    """Facts carry everything a replay needs: no look-ups, no personal data."""

    @event("Recorded")
    def __init__(
        self,
        id: str,
        giver: str,
        receiver: str,
        minutes: int,
        service_date: str,
        category: str | None,
        note: str | None,
        recorded_by: str,
        recorded_by_key: str | None,
        status: str,
        awaiting: str | None,
        expires_on: str | None,
        idempotency_key: str | None,
        fingerprint: str | None,
    ) -> None:
        self.giver = giver
        self.receiver = receiver
        self.minutes = minutes
        self.service_date = service_date
        self.category = category
        self.note = note
        self.recorded_by = recorded_by
        self.recorded_by_key = recorded_by_key
        self.status = status
        self.awaiting = awaiting
        self.expires_on = expires_on
        self.idempotency_key = idempotency_key
        self.fingerprint = fingerprint
        self.resolved_by: str | None = None
        self.reason: str | None = None

    @property
    def exchange_id(self) -> str:
        return self.id.removeprefix("exchange:")

    def status_on(self, today: date) -> str:
        """A pending exchange past its expiry reads as expired before anyone records it."""
        if self.status == PENDING and self.is_past_expiry(today):
            return EXPIRED
        return self.status

    def is_past_expiry(self, today: date) -> bool:
        return self.expires_on is not None and today > date.fromisoformat(self.expires_on)

    def parties(self) -> set[str]:
        """The organisations of the giver and the receiver."""
        return {self.giver.split(":", 1)[0], self.receiver.split(":", 1)[0]}

    def check_can_resolve(self, organisation: str | None, today: date) -> None:
        """Only the awaited organisation confirms or rejects, and only while pending. To an
        organisation that is no party, not even the exchange's state is told."""
        if organisation is not None and organisation not in self.parties():
            raise not_a_party(self.exchange_id)
        if self.status_on(today) != PENDING:
            raise NotPending(f"exchange {self.exchange_id} is {self.status_on(today)}")
        if organisation is not None and organisation != self.awaiting:
            raise Forbidden(f"exchange {self.exchange_id} awaits {self.awaiting}")

    def check_can_reverse(self, organisation: str | None) -> None:
        if organisation is not None and organisation not in self.parties():
            raise not_a_party(self.exchange_id)
        if self.status == REVERSED:
            raise AlreadyReversed(f"exchange {self.exchange_id} is already reversed")
        if self.status != COMPLETED:
            raise Conflict(
                f"exchange {self.exchange_id} is {self.status}; only completed ones reverse"
            )

    @event("Confirmed")
    def _confirm(self, confirmed_by: str | None) -> None:
        self.status = COMPLETED
        self.resolved_by = confirmed_by

    @event("Rejected")
    def _reject(self, rejected_by: str | None, reason: str) -> None:
        self.status = REJECTED
        self.resolved_by = rejected_by
        self.reason = reason

    @event("Expired")
    def _expire(self) -> None:
        self.status = EXPIRED

    @event("Reversed")
    def _reverse(self, reversed_by: str | None, reason: str) -> None:
        self.status = REVERSED
        self.reason = reason

    def reject(self, organisation: str | None, reason: str, today: date) -> None:
        self.check_can_resolve(organisation, today)
        self._reject(organisation, reason)

    def expire(self, today: date) -> None:
        if self.status != PENDING or not self.is_past_expiry(today):
            raise NotPending(f"exchange {self.exchange_id} is not a pending exchange past expiry")
        self._expire()


def not_a_party(exchange_id: str) -> Forbidden:
    """The one refusal to an organisation that is no party, whether or not the exchange
    exists: any other answer would tell it which ids name exchanges."""
    return Forbidden(f"exchange {exchange_id} is not your organisation's")


def check_can_settle(
    giver: Account, receiver: Account, minutes: int, told: str | None = None
) -> None:
    """Limits are checked when balances move: receiver floor, giver cap. `told`, the
    organisation that hears a refusal, hears another organisation's figures from none."""
    giver.check_open()
    receiver.check_open()
    receiver.check_can_spend(minutes, told)
    giver.check_can_earn(minutes, told)


def settle(exchange: Exchange, giver: Account, receiver: Account, told: str | None = None) -> None:
    check_can_settle(giver, receiver, exchange.minutes, told)
    giver.earn(exchange.exchange_id, exchange.minutes)
    receiver.spend(exchange.exchange_id, exchange.minutes)


def confirm(
    exchange: Exchange, giver: Account, receiver: Account, organisation: str | None, today: date
) -> None:
    exchange.check_can_resolve(organisation, today)
    settle(exchange, giver, receiver, told=organisation)
    exchange._confirm(organisation)


def reverse(
    exchange: Exchange, giver: Account, receiver: Account, organisation: str | None, reason: str
) -> None:
    """A compensating record, applied even if it leaves an account outside its limits."""
    exchange.check_can_reverse(organisation)
    exchange._reverse(organisation, reason)
    giver.reverse_earning(exchange.exchange_id, exchange.minutes)
    receiver.reverse_spending(exchange.exchange_id, exchange.minutes)
