"""Gift use cases: make (idempotent, like an exchange) and reverse.

A gift commits on the writer thread as a command of its own (`_retrying`), not through the
group commit: gifts are rare beside exchanges, and the group commit's jobs are exchanges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError

from domain import gift as rules_of_gift
from domain.base import LedgerAggregate
from domain.errors import Forbidden, IdempotencyKeyReused, InvalidRequest
from domain.gift import Gift, UnknownGift, gift_stream
from domain.rules import check_minutes, check_note, check_reason
from ledger.base import LedgerBase
from ledger.exchanges import MAX_IDEMPOTENCY_KEY, fingerprint
from ledger.store import position_of

# Its own namespace: an Idempotency-Key is scoped to the endpoint it was sent to.
GIFT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:timebank-ledger:idempotency:gift")


@dataclass(frozen=True)
class GiftRequest:
    from_account: str
    to_account: str
    minutes: int
    note: str | None = None

    def canonical(self) -> dict[str, object]:
        return {
            "from": self.from_account,
            "to": self.to_account,
            "minutes": self.minutes,
            "note": self.note,
        }


@dataclass(frozen=True)
class GiftRecord:
    id: str
    status: str
    from_account: str
    to_account: str
    minutes: int
    note: str | None
    day: str
    recorded_at: datetime
    recorded_by: str
    position: int
    recorded_by_key: str | None = None
    replayed: bool = False


def gift_id_for(organisation: str, key: str) -> UUID:
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise InvalidRequest(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
    return uuid5(GIFT_NAMESPACE, f"{organisation}\x1f{key}")


class GiftUseCases(LedgerBase):
    def make_gift(
        self,
        organisation: str,
        request: GiftRequest,
        idempotency_key: str | None = None,
        key_id: str | None = None,
    ) -> GiftRecord:
        """Pass credits on within one organisation; never below zero for the giver."""
        check_minutes(request.minutes)
        check_note(request.note)
        print_ = fingerprint(request.canonical())
        known = None if idempotency_key is None else gift_id_for(organisation, idempotency_key)

        def attempt() -> GiftRecord:
            if known is not None and (replay := self._replay_gift(known, print_)) is not None:
                return replay
            donor = self._account(request.from_account)
            recipient = self._account(request.to_account)
            if donor.organisation != organisation:
                raise Forbidden(f"a gift is made by the giver's organisation, not {organisation}")
            gift = Gift(
                id=gift_stream(str(known or uuid4())),
                from_account=request.from_account,
                to_account=request.to_account,
                organisation=organisation,
                minutes=request.minutes,
                day=self.today().isoformat(),
                note=request.note,
                recorded_by_key=key_id,
                idempotency_key=idempotency_key,
                fingerprint=print_,
            )
            rules_of_gift.give(gift, donor, recipient)
            return _record_of(gift, self._save(donor, recipient, gift))

        return self._retrying(attempt)

    def reverse_gift(self, gift_id: str, organisation: str | None, reason: str) -> GiftRecord:
        """A compensating record; the gift stays in history."""
        check_reason(reason)

        def attempt() -> GiftRecord:
            gift = self._gift(gift_id)
            donor, recipient = self._account(gift.from_account), self._account(gift.to_account)
            rules_of_gift.reverse(gift, donor, recipient, organisation, reason)
            return _record_of(gift, self._save(donor, recipient, gift))

        return self._retrying(attempt)

    def get_gift(self, gift_id: str) -> GiftRecord:
        return _record_of(self._gift(gift_id), 0)

    def _gift(self, gift_id: str) -> Gift:
        try:
            UUID(gift_id)
        except (ValueError, TypeError):
            raise UnknownGift(f"no gift '{gift_id}'") from None
        gift = self._find(gift_stream(gift_id), Gift)
        if gift is None:
            raise UnknownGift(f"no gift '{gift_id}'")
        return gift

    def _replay_gift(self, known: UUID, print_: str) -> GiftRecord | None:
        """The first answer again, also after a restart: rebuilt from the stored record."""
        stream = gift_stream(str(known))
        try:
            original: LedgerAggregate = self.repository.get(stream, version=1)
        except AggregateNotFoundError:
            return None
        assert isinstance(original, Gift)
        if original.fingerprint != print_:
            raise IdempotencyKeyReused("this Idempotency-Key was used with a different body")
        position = position_of(self.recorder, stream, 1)
        return _record_of(original, position, replayed=True)


def _record_of(gift: Gift, position: int, replayed: bool = False) -> GiftRecord:
    return GiftRecord(
        id=gift.gift_id,
        status=gift.status,
        from_account=gift.from_account,
        to_account=gift.to_account,
        minutes=gift.minutes,
        note=gift.note,
        day=gift.day,
        recorded_at=gift.created_on,
        recorded_by=gift.organisation,
        position=position,
        recorded_by_key=gift.recorded_by_key,
        replayed=replayed,
    )
