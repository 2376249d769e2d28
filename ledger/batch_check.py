"""What recording a batch would meet, with nothing recorded: an import's dry run.

The items are prepared one after another by the step the group commit records with
(`ExchangeUseCases._prepare`, its notes sealed under throw-away keys so that no account key
is made), against a workspace that is thrown away afterwards. Each item
sees the balances left by the items before it; a refused item is rolled back to its savepoint
and the next one goes on, so every refusal is told, not only the first. The workspace holds
copies of the accounts, never the cached ones the writer changes in place: a check saves
nothing and leaves the cache as it found it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from domain.account import Account
from domain.errors import LedgerError, UnknownAccount
from domain.exchange import COMPLETED, PENDING, Exchange
from domain.organisation import Organisation
from domain.rules import check_credit_limit, is_account_id, split_account_id
from ledger.accounts import new_account
from ledger.group_commit import Author, Workspace
from ledger.idempotency import batch_item_id
from ledger.records import ExchangeRequest

Prepare = Callable[[Author, ExchangeRequest, str, Workspace], Exchange]


@dataclass(frozen=True)
class Opening:
    """The recording organisation's accounts that do not exist yet count as opened, as
    `open_account` opens them: with this credit limit (None: the organisation's) and the
    organisation's maximum balance."""

    credit_limit: int | None = None

    def __post_init__(self) -> None:
        if self.credit_limit is not None:
            check_credit_limit(self.credit_limit)


@dataclass
class BatchCheck:
    """Item by item, what recording the batch would meet."""

    refusals: list[LedgerError] = field(default_factory=list)  # each with its `index`
    statuses: list[str | None] = field(default_factory=list)  # None where refused
    opened: list[str] = field(default_factory=list)  # accounts counted as opened, first met first

    @property
    def completed(self) -> int:
        return self.statuses.count(COMPLETED)

    @property
    def pending(self) -> int:
        return self.statuses.count(PENDING)


class ScratchAccounts(Workspace):
    """A workspace of copies, with the accounts an `Opening` lets the batch open."""

    def __init__(self, organisation: Organisation, opening: Opening | None) -> None:
        super().__init__()
        self.organisation = organisation
        self.opening = opening
        self.opened: list[str] = []

    def load(self, account_id: str, load: Callable[[str], Account]) -> Account:
        return super().load(account_id, lambda missing: self._copy(missing, load))

    def _copy(self, account_id: str, load: Callable[[str], Account]) -> Account:
        try:
            return copy.deepcopy(load(account_id))
        except UnknownAccount as error:
            if not self._may_open(account_id):
                raise UnknownAccount(error.detail, account=account_id) from None
        assert self.opening is not None, "only an opening opens accounts"
        self.opened.append(account_id)
        ref = split_account_id(account_id)[1]
        return new_account(self.organisation, ref, credit_limit=self.opening.credit_limit)

    def _may_open(self, account_id: str) -> bool:
        return (
            self.opening is not None
            and is_account_id(account_id)
            and split_account_id(account_id)[0] == self.organisation.org
        )


def check_each(
    prepare: Prepare, author: Author, requests: list[ExchangeRequest], accounts: ScratchAccounts
) -> BatchCheck:
    """Every item's verdict in order; `accounts` is left as the items that passed leave it."""
    check = BatchCheck(opened=accounts.opened)
    for index, request in enumerate(requests):
        accounts.begin()
        try:
            exchange = prepare(author, request, batch_item_id(None, index), accounts)
        except LedgerError as error:
            accounts.rollback()
            error.extra["index"] = index
            check.refusals.append(error)
            check.statuses.append(None)
        else:
            check.statuses.append(exchange.status)
    return check
