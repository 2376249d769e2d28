"""Every row judged by the ledger before anything is recorded, told in the import's words.

A file is recorded in chunks of up to 1,000 rows, one transaction each, so the ledger
alone cannot make a whole file all or nothing. Instead the ledger checks every row first,
in file order (`Ledger.check_batch`: its own rules, balances carried from row to row,
nothing recorded), and recording starts only when no row is refused. The import judges
nothing itself: it passes the ledger's refusals on, with a hint where it has one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from api.imports.rows import Item, Problem
from domain.errors import LedgerError
from domain.rules import organisation_of
from ledger import Ledger, Opening


@dataclass(frozen=True)
class Options:
    """What the import may do beyond recording: open its organisation's missing accounts."""

    organisation: str
    create_accounts: bool
    credit_limit: int | None = None  # of the accounts it opens; None: the organisation's

    def opening(self) -> Opening | None:
        return Opening(self.credit_limit) if self.create_accounts else None


@dataclass
class Verdict:
    problems: list[Problem] = field(default_factory=list)
    new_accounts: dict[str, str] = field(default_factory=dict)  # account id -> kind
    completed: int = 0
    pending: int = 0  # awaiting confirmation by another organisation


def check_rows(ledger: Ledger, options: Options, items: list[Item]) -> Verdict:
    """What the ledger would say against each row, recording nothing."""
    requests = [item.request for item in items]
    check = ledger.check_batch(options.organisation, requests, options.opening())
    problems = [
        Problem(items[refusal.extra["index"]].line, told(refusal, options))
        for refusal in check.refusals
    ]
    new_accounts = _kinds(items, check.opened)
    return Verdict(problems, new_accounts, check.completed, check.pending)


def told(refusal: LedgerError, options: Options) -> str:
    """The ledger's refusal, with what the person importing can do about it."""
    hint = HINTS.get(refusal.code)
    return hint(refusal, options) if hint else refusal.detail


def _unknown_account(refusal: LedgerError, options: Options) -> str:
    account = refusal.extra.get("account")
    if account is None:
        return refusal.detail
    if organisation_of(account) != options.organisation:
        return f"no account {account} (an import opens its own organisation's accounts only)"
    return f"no account {account} (open it first, or import with --create-accounts)"


def _below_credit_limit(refusal: LedgerError, options: Options) -> str:
    return (
        f"{refusal.detail} (raise the account's limit first; accounts an import opens take"
        " --credit-limit)"
    )


HINTS: dict[str, Callable[[LedgerError, Options], str]] = {
    "unknown_account": _unknown_account,
    "credit_limit_exceeded": _below_credit_limit,
}


def _kinds(items: list[Item], opened: list[str]) -> dict[str, str]:
    """The kind of each account the import opens: as the first row naming it says."""
    kinds: dict[str, str | None] = {}
    for item in items:
        parties = (item.request.giver, item.request.receiver)
        for party, kind in zip(parties, item.kinds, strict=True):
            kinds.setdefault(party, kind)
    return {account: kinds.get(account) or "person" for account in opened}
