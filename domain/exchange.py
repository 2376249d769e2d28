"""An exchange of time: the giver earns, the receiver spends, an hour is an hour."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from eventsourcing.domain import event

from domain.account import Account
from domain.base import LedgerAggregate
from domain.errors import AlreadyReversed, Conflict, Forbidden, NotPending, SameAccount
from domain.organisation import Organisation
from domain.rules import check_category, check_minutes, check_note, check_service_date

PENDING = "pending"
COMPLETED = "completed"
REJECTED = "rejected"
EXPIRED = "expired"
REVERSED = "reversed"


EXCHANGE_STREAM_PREFIX = "exchange:"


def exchange_stream(exchange_id: str) -> str:
    return f"{EXCHANGE_STREAM_PREFIX}{exchange_id}"


def is_exchange_stream(stream: str) -> bool:
    return stream.startswith(EXCHANGE_STREAM_PREFIX)


def exchange_id_in(stream: str) -> str:
    """The exchange id an exchange's stream names: `exchange_stream` read backwards."""
    return stream.removeprefix(EXCHANGE_STREAM_PREFIX)


def status_on(status: str, expires_on: str | None, today: date) -> str:
    """A pending exchange reads as expired from the day after `expires_on`, before anyone
    records it: the one definition the aggregate and the read models share."""
    if status == PENDING and expires_on is not None and today > date.fromisoformat(expires_on):
        return EXPIRED
    return status


@dataclass(frozen=True)
class Terms:
    """What a partner asks to record, checked: the same rules for one exchange or a batch."""

    giver: str
    receiver: str
    minutes: int
    service_date: date
    category: str | None
    note: str | None

    @classmethod
    def checked(
        cls, giver: str, receiver: str, minutes: object, service_date: date,
        category: str | None, note: str | None, today: date,
    ) -> Terms:  # fmt: skip
        terms = cls(
            giver, receiver, check_minutes(minutes), check_service_date(service_date, today),
            check_category(category), check_note(note),
        )  # fmt: skip
        if giver == receiver:
            raise SameAccount("giver and receiver must be different accounts")
        return terms


@dataclass(frozen=True)
class Provenance:
    """Which key recorded an exchange, under which idempotency key and body fingerprint."""

    recorded_by_key: str | None = None
    idempotency_key: str | None = None
    fingerprint: str | None = None


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
        return exchange_id_in(self.id)

    def status_on(self, today: date) -> str:
        """A pending exchange past its expiry reads as expired before anyone records it."""
        return status_on(self.status, self.expires_on, today)

    def is_past_expiry(self, today: date) -> bool:
        return status_on(PENDING, self.expires_on, today) == EXPIRED

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


def record(
    exchange_id: str, terms: Terms, giver: Account, receiver: Account,
    recorded_by: str, organisation: Callable[[], Organisation], provenance: Provenance,
    today: date,
) -> Exchange:  # fmt: skip
    """Completed at once, balances moved, inside one organisation; across two, pending until
    the other one confirms, and expiring after the recording organisation's expiry days.
    `organisation` gives the recording organisation, asked for only by a pending exchange
    (an exchange inside one organisation needs nothing of it but its id)."""
    giver.check_open()
    receiver.check_open()
    awaiting = _other_party(recorded_by, giver, receiver)
    if awaiting is None:
        check_limits(giver, receiver, terms.minutes, recorded_by)
    expires_on = today + timedelta(days=organisation().pending_expiry_days) if awaiting else None
    exchange = Exchange(
        id=exchange_stream(exchange_id),
        giver=terms.giver,
        receiver=terms.receiver,
        minutes=terms.minutes,
        service_date=terms.service_date.isoformat(),
        category=terms.category,
        note=terms.note,
        recorded_by=recorded_by,
        recorded_by_key=provenance.recorded_by_key,
        status=PENDING if awaiting else COMPLETED,
        awaiting=awaiting,
        expires_on=expires_on.isoformat() if expires_on else None,
        idempotency_key=provenance.idempotency_key,
        fingerprint=provenance.fingerprint,
    )
    if awaiting is None:
        _move(exchange, giver, receiver)
    return exchange


def _other_party(organisation: str, giver: Account, receiver: Account) -> str | None:
    """The organisation whose confirmation is awaited: the party that did not record."""
    return next((o for o in (giver.organisation, receiver.organisation) if o != organisation), None)


def check_limits(giver: Account, receiver: Account, minutes: int, told: str | None = None) -> None:
    """Limits are checked when balances move: receiver floor, giver cap. `told`, the
    organisation that hears a refusal, hears another organisation's figures from none."""
    receiver.check_can_spend(minutes, told)
    giver.check_can_earn(minutes, told)


def not_a_party(exchange_id: str) -> Forbidden:
    """The one refusal to an organisation that is no party, whether or not the exchange
    exists: any other answer would tell it which ids name exchanges."""
    return Forbidden(f"exchange {exchange_id} is not your organisation's")


def check_can_settle(
    giver: Account, receiver: Account, minutes: int, told: str | None = None
) -> None:
    giver.check_open()
    receiver.check_open()
    check_limits(giver, receiver, minutes, told)


def settle(exchange: Exchange, giver: Account, receiver: Account, told: str | None = None) -> None:
    check_can_settle(giver, receiver, exchange.minutes, told)
    _move(exchange, giver, receiver)


def _move(exchange: Exchange, giver: Account, receiver: Account) -> None:
    exchange_id = exchange.exchange_id
    giver.earn(exchange_id, exchange.minutes)
    receiver.spend(exchange_id, exchange.minutes)


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
