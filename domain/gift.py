"""A gift of credits: passed on to the community pot or another member, not time given.

A gift moves balances and nothing else: it is in no given or received figure, no
reciprocity, activity or connection. It never takes the giver below zero (a gift is of
credits one has), and both accounts belong to one organisation.
"""

from __future__ import annotations

from eventsourcing.domain import event

from domain.account import Account
from domain.base import LedgerAggregate
from domain.errors import (
    AlreadyReversed,
    CreditLimitExceeded,
    Forbidden,
    InvalidRequest,
    LedgerError,
    SameAccount,
)

COMPLETED = "completed"
REVERSED = "reversed"


class UnknownGift(LedgerError):
    code = "unknown_gift"


GIFT_STREAM_PREFIX = "gift:"


def gift_stream(gift_id: str) -> str:
    return f"{GIFT_STREAM_PREFIX}{gift_id}"


def is_gift_stream(stream: str) -> bool:
    return stream.startswith(GIFT_STREAM_PREFIX)


def gift_id_in(stream: str) -> str:
    """The gift id a gift's stream names: `gift_stream` read backwards."""
    return stream.removeprefix(GIFT_STREAM_PREFIX)


class Gift(LedgerAggregate):
    """Facts carry everything a replay needs, the reversal included: no look-ups."""

    @event("Made")
    def __init__(
        self,
        id: str,
        from_account: str,
        to_account: str,
        organisation: str,
        minutes: int,
        day: str,
        note: str | None,
        recorded_by_key: str | None,
        idempotency_key: str | None,
        fingerprint: str | None,
    ) -> None:
        self.from_account = from_account
        self.to_account = to_account
        self.organisation = organisation
        self.minutes = minutes
        self.day = day
        self.note = note  # sealed (ledger/texts.py): ciphertext, never the text
        self.recorded_by_key = recorded_by_key
        self.idempotency_key = idempotency_key
        self.fingerprint = fingerprint
        self.status = COMPLETED
        self.reason: str | None = None

    @property
    def gift_id(self) -> str:
        return gift_id_in(self.id)

    def check_can_reverse(self, organisation: str | None) -> None:
        if organisation is not None and organisation != self.organisation:
            raise not_its_organisation(self.gift_id)
        if self.status == REVERSED:
            raise AlreadyReversed(f"gift {self.gift_id} is already reversed")

    @event("Reversed")
    def _reverse(
        self,
        reversed_by: str | None,
        reason: str,
        from_account: str,
        to_account: str,
        minutes: int,
        day: str,
    ) -> None:
        self.status = REVERSED
        self.reason = reason


def check_can_give(donor: Account, recipient: Account, minutes: int) -> None:
    """Credits one has: the giver stays at or above zero; the recipient's cap holds."""
    if donor.id == recipient.id:
        raise SameAccount("a gift goes from one account to another")
    if donor.organisation != recipient.organisation:
        raise InvalidRequest("a gift stays within one organisation", field="to")
    donor.check_open()
    recipient.check_open()
    if donor.balance - minutes < 0:
        raise CreditLimitExceeded(
            f"{donor.account_id} has {donor.balance} minutes; a gift never takes it below zero",
            account=donor.account_id,
        )
    recipient.check_can_earn(minutes)


def give(gift: Gift, donor: Account, recipient: Account) -> None:
    check_can_give(donor, recipient, gift.minutes)
    donor.send_gift(gift.gift_id, gift.minutes)
    recipient.receive_gift(gift.gift_id, gift.minutes)


def reverse(
    gift: Gift, donor: Account, recipient: Account, organisation: str | None, reason: str
) -> None:
    """A compensating record, applied even if it leaves an account outside its limits."""
    gift.check_can_reverse(organisation)
    gift._reverse(organisation, reason, gift.from_account, gift.to_account, gift.minutes, gift.day)
    donor.reverse_gift_sent(gift.gift_id, gift.minutes)
    recipient.reverse_gift_received(gift.gift_id, gift.minutes)


def not_its_organisation(gift_id: str) -> Forbidden:
    """The one refusal to another organisation, whether or not the gift exists: any other
    answer would tell it which ids name gifts (as `exchange.not_a_party` does)."""
    return Forbidden(f"gift {gift_id} is not your organisation's")
