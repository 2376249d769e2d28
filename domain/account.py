"""An account holds one participant's time credits: staff, volunteer, member or pot alike."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import AccountClosed, CreditLimitExceeded, MaxBalanceExceeded

ACCOUNT_STREAM_PREFIX = "account:"


def account_stream(account_id: str) -> str:
    return f"{ACCOUNT_STREAM_PREFIX}{account_id}"


def is_account_stream(stream: str) -> bool:
    return stream.startswith(ACCOUNT_STREAM_PREFIX)


def account_id_in(stream: str) -> str:
    """The account id an account's stream names: `account_stream` read backwards."""
    return stream.removeprefix(ACCOUNT_STREAM_PREFIX)


def is_over_limit(balance: int, credit_limit: int, max_balance: int | None) -> bool:
    """Below the credit floor or above the cap (a reversal may leave an account there): the
    one definition the aggregate and the read models share."""
    too_low = balance < -credit_limit
    too_high = max_balance is not None and balance > max_balance
    return too_low or too_high


class Account(LedgerAggregate):
    @event("Opened")
    def __init__(
        self,
        id: str,
        organisation: str,
        ref: str,
        kind: str,
        credit_limit: int,
        max_balance: int | None,
    ) -> None:
        self.organisation = organisation
        self.ref = ref
        self.kind = kind
        self.credit_limit = credit_limit
        self.max_balance = max_balance
        self.status = "open"
        self.balance = 0
        self.given = 0
        self.received = 0

    @property
    def account_id(self) -> str:
        return f"{self.organisation}:{self.ref}"

    @property
    def over_limit(self) -> bool:
        return is_over_limit(self.balance, self.credit_limit, self.max_balance)

    def check_open(self) -> None:
        if self.status != "open":
            raise AccountClosed(f"account {self.account_id} is closed")

    def may_be_read_by(self, organisation: str | None) -> bool:
        """Whether a refusal may tell `organisation` (None: the operator) this account's
        balance and limits: only its own organisation reads them."""
        return organisation is None or organisation == self.organisation

    def check_can_spend(self, minutes: int, told: str | None = None) -> None:
        """`told`: the organisation that hears a refusal (None: one that may read it all)."""
        if self.balance - minutes < -self.credit_limit:
            detail = f"{self.account_id} would go below its credit limit"
            if self.may_be_read_by(told):
                detail = (
                    f"{self.account_id} would go to {self.balance - minutes} minutes,"
                    f" below its credit limit of -{self.credit_limit}"
                )
            raise CreditLimitExceeded(detail, account=self.account_id)

    def check_can_earn(self, minutes: int, told: str | None = None) -> None:
        if self.max_balance is not None and self.balance + minutes > self.max_balance:
            detail = f"{self.account_id} would go above its maximum balance"
            if self.may_be_read_by(told):
                detail = (
                    f"{self.account_id} would go to {self.balance + minutes} minutes,"
                    f" above its maximum balance of {self.max_balance}"
                )
            raise MaxBalanceExceeded(detail, account=self.account_id)

    # The event methods below only change state: a rule inside them would make old
    # histories fail to load when the rule changes.

    # Earned and Spent are declared as classes, not with `@event`: two of the three events
    # of every exchange, and the decorator's argument matching cost more than the rest of
    # the event. Stored form and topics are the same either way.

    class Earned(LedgerAggregate.Event):
        exchange_id: str
        minutes: int

        def apply(self, aggregate: Any) -> None:
            aggregate.balance += self.minutes
            aggregate.given += self.minutes

    class Spent(LedgerAggregate.Event):
        exchange_id: str
        minutes: int

        def apply(self, aggregate: Any) -> None:
            aggregate.balance -= self.minutes
            aggregate.received += self.minutes

    def earn(self, exchange_id: str, minutes: int) -> None:
        self.trigger_event(self.Earned, exchange_id=exchange_id, minutes=minutes)

    def spend(self, exchange_id: str, minutes: int) -> None:
        self.trigger_event(self.Spent, exchange_id=exchange_id, minutes=minutes)

    @event("EarningReversed")
    def reverse_earning(self, exchange_id: str, minutes: int) -> None:
        self.balance -= minutes
        self.given -= minutes

    @event("SpendingReversed")
    def reverse_spending(self, exchange_id: str, minutes: int) -> None:
        self.balance += minutes
        self.received -= minutes

    # Gifts move balances but are not time given or received: `given` and `received` stay.

    @event("GiftSent")
    def send_gift(self, gift_id: str, minutes: int) -> None:
        self.balance -= minutes

    @event("GiftReceived")
    def receive_gift(self, gift_id: str, minutes: int) -> None:
        self.balance += minutes

    @event("GiftSentReversed")
    def reverse_gift_sent(self, gift_id: str, minutes: int) -> None:
        self.balance += minutes

    @event("GiftReceivedReversed")
    def reverse_gift_received(self, gift_id: str, minutes: int) -> None:
        self.balance -= minutes

    @event("LimitsChanged")
    def change_limits(self, credit_limit: int, max_balance: int | None) -> None:
        self.credit_limit = credit_limit
        self.max_balance = max_balance

    @event("Closed")
    def close(self) -> None:
        self.status = "closed"

    @event("PersonalDataErased")
    def record_erasure(
        self, notes_erased: int, keys_erased: int, name_erased: bool, request_ref: str | None
    ) -> None:
        """Counts and a reference only: what was erased is named nowhere in the log."""
        self.personal_data_erased = True

    @property
    def was_erased(self) -> bool:
        # Accounts loaded from snapshots taken before erasure existed lack the attribute.
        return bool(getattr(self, "personal_data_erased", False))
