"""Judge every row against the ledger before anything is recorded.

A file is recorded in chunks of up to 1,000 rows, one transaction each, so the ledger
alone cannot make a whole file all or nothing. Instead every row is judged first, in file
order, by the ledger's own rules (accounts, organisations, limits, balances carried from
row to row), and recording starts only when no row is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.imports.rows import Item
from domain.errors import UnknownAccount
from domain.rules import organisation_of
from ledger import Ledger


@dataclass
class Slot:
    """An account as the import will leave it."""

    organisation: str
    open: bool
    balance: int
    credit_limit: int
    max_balance: int | None


class Checker:
    def __init__(
        self, ledger: Ledger, organisation: str, create_accounts: bool, credit_limit: int | None
    ) -> None:
        defaults = ledger.get_organisation(organisation)
        self.ledger = ledger
        self.organisation = organisation
        self.create_accounts = create_accounts
        self.new_limit = defaults.credit_limit if credit_limit is None else credit_limit
        self.new_cap = defaults.max_balance
        self.slots: dict[str, Slot] = {}
        self.new_accounts: dict[str, str] = {}  # account id -> kind
        self.completed = 0
        self.pending = 0

    def check(self, item: Item) -> str | None:
        """What the ledger would say against this row, or None; a fine row moves balances."""
        request = item.request
        parties = (request.giver, request.receiver)
        if self.organisation not in (organisation_of(p) for p in parties):
            return f"neither {request.giver} nor {request.receiver} belongs to {self.organisation}"
        giver = self._slot(request.giver, item.kinds[0])
        receiver = self._slot(request.receiver, item.kinds[1])
        if isinstance(giver, str) or isinstance(receiver, str):
            return "; ".join(s for s in (giver, receiver) if isinstance(s, str))
        closed = [p for p, s in zip(parties, (giver, receiver), strict=True) if not s.open]
        if closed:
            return f"account {closed[0]} is closed"
        if giver.organisation != receiver.organisation:
            self.pending += 1  # balances move when the other organisation confirms
            return None
        refusal = _limit_refusal(request.giver, giver, request.receiver, receiver, request.minutes)
        if refusal is None:
            giver.balance += request.minutes
            receiver.balance -= request.minutes
            self.completed += 1
        return refusal

    def _slot(self, account_id: str, kind: str | None) -> Slot | str:
        if account_id in self.slots:
            return self.slots[account_id]
        try:
            record = self.ledger.get_account(account_id)
        except UnknownAccount:
            return self._new_slot(account_id, kind)
        slot = Slot(
            record.organisation,
            record.status == "open",
            record.balance,
            record.credit_limit,
            record.max_balance,
        )
        self.slots[account_id] = slot
        return slot

    def _new_slot(self, account_id: str, kind: str | None) -> Slot | str:
        organisation = organisation_of(account_id)
        if organisation != self.organisation:
            return f"no account {account_id} (an import opens its own organisation's accounts only)"
        if not self.create_accounts:
            return f"no account {account_id} (open it first, or import with --create-accounts)"
        self.new_accounts[account_id] = kind or "person"
        slot = Slot(organisation, True, 0, self.new_limit, self.new_cap)
        self.slots[account_id] = slot
        return slot


def _limit_refusal(
    giver_id: str, giver: Slot, receiver_id: str, receiver: Slot, minutes: int
) -> str | None:
    if receiver.balance - minutes < -receiver.credit_limit:
        return (
            f"{receiver_id} would go to {receiver.balance - minutes} minutes, below its credit"
            f" limit of -{receiver.credit_limit} (raise the account's limit first; accounts an"
            " import opens take --credit-limit)"
        )
    if giver.max_balance is not None and giver.balance + minutes > giver.max_balance:
        return (
            f"{giver_id} would go to {giver.balance + minutes} minutes, above its maximum"
            f" balance of {giver.max_balance}"
        )
    return None
