"""Gift use cases: make (idempotent, like an exchange) and reverse.

A gift commits on the writer thread as a command of its own (`_retrying`), not through the
group commit: gifts are rare beside exchanges, and the group commit's jobs are exchanges.
Its id comes from the Idempotency-Key as an exchange's does (keyed, ledger/keyed_ids.py),
its fingerprint is keyed, and its note and reversal reason are sealed (ledger/texts.py)
under the two accounts' keys: no gift's free text is in the log in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain import gift as rules_of_gift
from domain.base import LedgerAggregate
from domain.errors import Forbidden, IdempotencyKeyReused
from domain.gift import Gift, UnknownGift, gift_stream
from domain.rules import check_minutes, check_note, check_reason
from ledger.exchange_use_cases import ExchangeUseCases
from ledger.keyed_ids import keyed_id
from ledger.ports import new_uuid
from ledger.texts import REASON, Place, gift_note_place


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
    note_erased: bool = False


def gift_id_for(secret: bytes, organisation: str, key: str) -> UUID:
    """An Idempotency-Key is scoped to the endpoint it was sent to: a gift's id is keyed under
    `gift:{organisation}`, which no organisation id can be (they hold no colon)."""
    return UUID(int=keyed_id(secret, f"gift:{organisation}", key).int)


class GiftUseCases(ExchangeUseCases):
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
        sent = self._fingerprint(request.canonical())  # the body's, to tell a reused key
        known = None
        if idempotency_key is not None:
            known = gift_id_for(self.id_key.secret(), organisation, idempotency_key)

        def attempt() -> GiftRecord:
            if known is not None and (replay := self._replay_gift(known, sent)) is not None:
                return replay
            donor = self._account(request.from_account)
            recipient = self._account(request.to_account)
            if donor.organisation != organisation:
                raise Forbidden(f"a gift is made by the giver's organisation, not {organisation}")
            gift_id = str(known or new_uuid())
            place = gift_note_place(gift_id)
            gift = Gift(
                id=gift_stream(gift_id),
                from_account=request.from_account,
                to_account=request.to_account,
                organisation=organisation,
                minutes=request.minutes,
                day=self.today().isoformat(),
                note=self.texts.seal(request.note, donor.account_id, recipient.account_id, place),
                recorded_by_key=key_id,
                idempotency_key=idempotency_key,
                fingerprint=sent,
            )
            rules_of_gift.give(gift, donor, recipient)
            return self._gift_record(gift, self._save(donor, recipient, gift))

        return self._retrying(attempt)

    def reverse_gift(self, gift_id: str, organisation: str | None, reason: str) -> GiftRecord:
        """A compensating record; the gift stays in history."""
        check_reason(reason)

        def attempt() -> GiftRecord:
            gift = self._organisation_gift(gift_id, organisation)
            donor, recipient = self._account(gift.from_account), self._account(gift.to_account)
            place = Place(gift.id, gift.version + 1, REASON)
            sealed = self.texts.seal(reason, gift.from_account, gift.to_account, place)
            assert sealed is not None, "a reason is never None"
            rules_of_gift.reverse(gift, donor, recipient, organisation, sealed)
            return self._gift_record(gift, self._save(donor, recipient, gift))

        return self._retrying(attempt)

    def get_gift(self, gift_id: str) -> GiftRecord:
        return self._gift_record(self._gift(gift_id), 0)

    def _organisation_gift(self, gift_id: str, organisation: str | None) -> Gift:
        """The gift, or for an organisation (not the operator, None) the refusal it hears
        for another's gift (`Gift.check_can_reverse`): the same whether or not it exists."""
        try:
            return self._gift(gift_id)
        except UnknownGift:
            if organisation is None:
                raise
            raise rules_of_gift.not_its_organisation(gift_id) from None

    def _gift(self, gift_id: str) -> Gift:
        return self._by_uuid(gift_id, gift_stream, Gift, UnknownGift(f"no gift '{gift_id}'"))

    def _replay_gift(self, known: UUID, sent: str) -> GiftRecord | None:
        """The first answer again, also after a restart: rebuilt from the stored record."""
        stream = gift_stream(str(known))
        try:
            original: LedgerAggregate = self.repository.get(stream, version=1)
        except AggregateNotFoundError:
            return None
        assert isinstance(original, Gift)
        if original.fingerprint != sent:
            raise IdempotencyKeyReused("this Idempotency-Key was used with a different body")
        position = self.recorder.position_of(stream, 1)
        return self._gift_record(original, position, replayed=True)

    def _gift_record(self, gift: Gift, position: int, replayed: bool = False) -> GiftRecord:
        """The gift as its writer answers it, the note opened (null once erased)."""
        note, erased = self.texts.open(gift.note, gift_note_place(gift.gift_id), held=True)
        return GiftRecord(
            id=gift.gift_id,
            status=gift.status,
            from_account=gift.from_account,
            to_account=gift.to_account,
            minutes=gift.minutes,
            note=note,
            day=gift.day,
            recorded_at=gift.created_on,
            recorded_by=gift.organisation,
            position=position,
            recorded_by_key=gift.recorded_by_key,
            replayed=replayed,
            note_erased=erased,
        )
