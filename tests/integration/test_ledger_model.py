"""A plain model of the ledger's money rules (dicts and ints, no events, no store).

The state machine in test_ledger_state_machine.py drives the real ledger and this model
side by side. The tests at the bottom pin the model itself, so the oracle is checked too.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta

from domain.errors import (
    AccountClosed,
    AlreadyReversed,
    Conflict,
    CreditLimitExceeded,
    Forbidden,
    LedgerError,
    MaxBalanceExceeded,
    NotPending,
    SameAccount,
)

Item = tuple[str, str, int]  # giver, receiver, minutes
Refusal = type[LedgerError]


@dataclass
class Acct:
    org: str
    credit_limit: int
    max_balance: int | None
    balance: int = 0
    given: int = 0
    received: int = 0
    status: str = "open"
    # A reversal or a new limit may leave an account outside its limits; nothing else may.
    may_be_outside: bool = False

    def within_limits(self) -> bool:
        above_cap = self.max_balance is not None and self.balance > self.max_balance
        return self.balance >= -self.credit_limit and not above_cap

    def view(self) -> tuple[object, ...]:
        return (
            self.balance,
            self.given,
            self.received,
            self.status,
            self.credit_limit,
            self.max_balance,
            not self.within_limits(),
        )


@dataclass
class Exch:
    giver: str
    receiver: str
    minutes: int
    awaiting: str | None
    expires_on: date | None
    status: str

    def status_on(self, today: date) -> str:
        past = self.expires_on is not None and today > self.expires_on
        return "expired" if self.status == "pending" and past else self.status


def settle_refusal(giver: Acct, receiver: Acct, minutes: int) -> Refusal | None:
    if "closed" in (giver.status, receiver.status):
        return AccountClosed
    if receiver.balance - minutes < -receiver.credit_limit:
        return CreditLimitExceeded
    if giver.max_balance is not None and giver.balance + minutes > giver.max_balance:
        return MaxBalanceExceeded
    return None


def move(giver: Acct, receiver: Acct, minutes: int) -> None:
    giver.balance, giver.given = giver.balance + minutes, giver.given + minutes
    receiver.balance, receiver.received = receiver.balance - minutes, receiver.received + minutes


class Model:
    def __init__(self, expiry_days: int) -> None:
        self.expiry_days = expiry_days
        self.accounts: dict[str, Acct] = {}
        self.exchanges: dict[str, Exch] = {}

    def outcome(
        self, org: str, item: Item, accounts: dict[str, Acct], today: date
    ) -> Refusal | Exch:
        giver_id, receiver_id, minutes = item
        if giver_id == receiver_id:
            return SameAccount
        giver, receiver = accounts[giver_id], accounts[receiver_id]
        if org not in (giver.org, receiver.org):
            return Forbidden
        if "closed" in (giver.status, receiver.status):
            return AccountClosed
        if giver.org != receiver.org:
            other = receiver.org if giver.org == org else giver.org
            expires_on = today + timedelta(days=self.expiry_days)
            return Exch(giver_id, receiver_id, minutes, other, expires_on, "pending")
        refusal = settle_refusal(giver, receiver, minutes)
        if refusal is not None:
            return refusal
        move(giver, receiver, minutes)
        return Exch(giver_id, receiver_id, minutes, None, None, "completed")

    def record(self, org: str, items: list[Item], today: date) -> tuple[Refusal, int] | list[Exch]:
        """All or nothing: the first refused item and its index, or every new exchange."""
        accounts = copy.deepcopy(self.accounts)
        made = []
        for index, item in enumerate(items):
            result = self.outcome(org, item, accounts, today)
            if not isinstance(result, Exch):
                return result, index
            made.append(result)
        self.accounts = accounts
        return made

    def resolve_refusal(self, exchange: Exch, org: str, today: date) -> Refusal | None:
        if exchange.status_on(today) != "pending":
            return NotPending
        return Forbidden if org != exchange.awaiting else None

    def confirm(self, exchange_id: str, org: str, today: date) -> Refusal | None:
        exchange = self.exchanges[exchange_id]
        giver, receiver = self.accounts[exchange.giver], self.accounts[exchange.receiver]
        refusal = self.resolve_refusal(exchange, org, today) or settle_refusal(
            giver, receiver, exchange.minutes
        )
        if refusal is None:
            move(giver, receiver, exchange.minutes)
            exchange.status = "completed"
        return refusal

    def reject(self, exchange_id: str, org: str, today: date) -> Refusal | None:
        exchange = self.exchanges[exchange_id]
        refusal = self.resolve_refusal(exchange, org, today)
        if refusal is None:
            exchange.status = "rejected"
        return refusal

    def expire(self, exchange_id: str, today: date) -> Refusal | None:
        exchange = self.exchanges[exchange_id]
        if exchange.status != "pending" or exchange.status_on(today) != "expired":
            return NotPending
        exchange.status = "expired"
        return None

    def reverse(self, exchange_id: str, org: str | None) -> Refusal | None:
        exchange = self.exchanges[exchange_id]
        giver, receiver = self.accounts[exchange.giver], self.accounts[exchange.receiver]
        if org is not None and org not in (giver.org, receiver.org):
            return Forbidden
        if exchange.status != "completed":
            return AlreadyReversed if exchange.status == "reversed" else Conflict
        minutes = exchange.minutes
        giver.balance -= minutes
        giver.given -= minutes
        receiver.balance += minutes
        receiver.received -= minutes
        exchange.status = "reversed"
        giver.may_be_outside = receiver.may_be_outside = True
        return None

    def open(self, account_id: str, org: str, credit_limit: int, cap: int | None) -> None:
        self.accounts[account_id] = Acct(org, credit_limit, cap)

    def change_limits(self, account_id: str, credit_limit: int, cap: int | None) -> None:
        account = self.accounts[account_id]
        account.credit_limit, account.max_balance = credit_limit, cap
        account.may_be_outside = True


# The model's own rules, pinned, so a wrong oracle cannot agree with a wrong ledger.

TODAY = date(2024, 6, 1)


def a_model() -> Model:
    model = Model(expiry_days=3)
    model.open("a:ann", "a", 60, None)
    model.open("a:bob", "a", 60, 30)
    model.open("b:cat", "b", 0, None)
    return model


def test_the_model_refuses_a_spend_below_the_credit_limit() -> None:
    model = a_model()

    assert isinstance(model.record("a", [("a:ann", "a:bob", 60)], TODAY), list)
    assert model.record("a", [("a:ann", "a:bob", 1)], TODAY) == (CreditLimitExceeded, 0)
    assert model.accounts["a:bob"].balance == -60


def test_the_model_batch_is_all_or_nothing_with_running_balances() -> None:
    model = a_model()

    refused = model.record("a", [("a:bob", "a:ann", 30), ("a:bob", "a:ann", 1)], TODAY)

    assert refused == (MaxBalanceExceeded, 1)
    assert model.accounts["a:ann"].balance == 0


def test_the_model_waits_for_the_other_organisation_and_checks_limits_then() -> None:
    model = a_model()
    made = model.record("a", [("a:ann", "b:cat", 10)], TODAY)
    assert isinstance(made, list)
    model.exchanges["x"] = made[0]

    assert made[0].status_on(TODAY + timedelta(days=4)) == "expired"
    assert model.confirm("x", "a", TODAY) is Forbidden
    assert model.confirm("x", "b", TODAY) is CreditLimitExceeded


def test_the_model_reversal_undoes_everything_and_may_leave_an_account_outside() -> None:
    model = a_model()
    made = model.record("a", [("a:ann", "a:bob", 30), ("a:bob", "a:ann", 60)], TODAY)
    assert isinstance(made, list)
    model.exchanges["x"] = made[0]

    assert model.reverse("x", "b") is Forbidden
    assert model.reverse("x", None) is None
    assert model.reverse("x", "a") is AlreadyReversed
    ann, bob = model.accounts["a:ann"], model.accounts["a:bob"]
    assert (ann.balance, ann.given, ann.received) == (-60, 0, 60)
    assert (bob.balance, bob.given, bob.received) == (60, 60, 0)
    assert not bob.within_limits()
