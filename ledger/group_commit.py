"""Many callers' exchanges in one transaction, each refused or recorded on its own merits.

Exchanges are prepared one after another against the same in-memory accounts, so each sees
the balances left by those before it. A refused exchange is rolled back to a savepoint taken
of the accounts it touched, without disturbing the others. If the commit meets a conflict with
another process, the cached accounts are evicted and the whole group prepared again, in the
ledger's one retry loop (ledger/retry.py).

`GroupCommit` is handed to the writer (ledger/writer.py) with each job; it is given the
ledger's store and the three steps of recording one exchange (`ExchangeSteps`) by the
exchange use cases (ledger/exchange_use_cases.py), which compose it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from uuid import UUID

from domain.account import Account, account_stream
from domain.errors import LedgerError
from domain.exchange import Exchange, Provenance, exchange_stream
from ledger.base import LedgerBase
from ledger.ports import new_uuid
from ledger.records import ExchangeRecord, ExchangeRequest

Outcome = ExchangeRecord | LedgerError | None


@dataclass(frozen=True)
class Author:
    """The organisation that records, and the key and idempotency facts it records with."""

    organisation: str
    provenance: Provenance


@dataclass(frozen=True)
class ExchangeJob:
    """One exchange to record; `idem_id` is its idempotency key's record id, if it has one."""

    author: Author
    request: ExchangeRequest
    idem_id: UUID | None


class Workspace(dict[str, Account]):
    """Accounts shared by a group, with a savepoint for the exchange being prepared."""

    def __init__(self) -> None:
        super().__init__()
        self._saved: dict[str, dict[str, Any]] = {}

    def load(self, account_id: str, load: Callable[[str], Account]) -> Account:
        """The account, loaded once per workspace and remembered for the savepoint."""
        account = self.get(account_id)
        if account is None:
            account = self[account_id] = load(account_id)
        self._remember(account_id, account)
        return account

    def begin(self) -> None:
        self._saved = {}

    def _remember(self, account_id: str, account: Account) -> None:
        if account_id not in self._saved:
            state = dict(vars(account))
            state["_pending_events"] = list(state["_pending_events"])
            self._saved[account_id] = state

    def rollback(self) -> set[str]:
        """Undo the current exchange; answer the accounts it had touched."""
        for account_id, state in self._saved.items():
            account = self[account_id]
            account.__dict__.clear()
            account.__dict__.update(state)
        touched, self._saved = set(self._saved), {}
        return touched


@dataclass(frozen=True)
class ExchangeSteps:
    """What recording one exchange takes, given by the use cases that compose a group."""

    replayed: Callable[[ExchangeJob], ExchangeRecord | None]
    prepare: Callable[[Author, ExchangeRequest, str, Workspace], Exchange]
    record_of: Callable[[Exchange, int], ExchangeRecord]


@dataclass
class _Round:
    """One attempt at committing a group."""

    workspace: Workspace = field(default_factory=Workspace)
    staged: list[tuple[int, Exchange]] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    deferred: list[int] = field(default_factory=list)
    refused: dict[int, set[str]] = field(default_factory=dict)
    saved: set[str] = field(default_factory=set)


class GroupCommit:
    def __init__(self, store: LedgerBase, steps: ExchangeSteps) -> None:
        self.store = store
        self.steps = steps

    def run_group(self, jobs: list[ExchangeJob]) -> list[Outcome]:
        """Outcomes in the jobs' order: a record, or the refusal to raise."""
        outcomes: list[Outcome] = [None] * len(jobs)
        todo, judged_fresh = list(range(len(jobs))), set[int]()
        while todo:
            attempt = partial(self._commit_round, jobs, todo, outcomes)
            finished = self.store.until_committed(attempt, writes=len(todo))
            # A refusal may rest on an account cached before another process changed it;
            # accounts saved in this round were proven current, the others are reloaded.
            stale = {i: touched - finished.saved for i, touched in finished.refused.items()}
            again = [i for i, accounts in stale.items() if accounts and i not in judged_fresh]
            for i in again:
                self.store.loaded.evict({account_stream(a) for a in stale[i]})
            judged_fresh.update(again)
            todo = finished.deferred + again
        return outcomes

    def _commit_round(
        self, jobs: list[ExchangeJob], todo: list[int], outcomes: list[Outcome]
    ) -> _Round:
        round_ = _Round()
        for i in todo:
            self._stage(round_, i, jobs[i], outcomes)
        self._commit(round_, outcomes)
        return round_

    def _stage(self, round_: _Round, i: int, job: ExchangeJob, outcomes: list[Outcome]) -> None:
        exchange_id = str(job.idem_id or new_uuid())
        if job.idem_id is not None and self._answered_before(round_, i, job, outcomes):
            return
        round_.workspace.begin()
        try:
            exchange = self.steps.prepare(job.author, job.request, exchange_id, round_.workspace)
        except LedgerError as error:
            outcomes[i] = error
            round_.refused[i] = round_.workspace.rollback()
            return
        round_.created.add(exchange.id)
        round_.staged.append((i, exchange))

    def _answered_before(
        self, round_: _Round, i: int, job: ExchangeJob, outcomes: list[Outcome]
    ) -> bool:
        """An idempotency key met before: in this round (answered after its commit), or
        in the log (the first answer again, or the refusal of a different body)."""
        if exchange_stream(str(job.idem_id)) in round_.created:
            round_.deferred.append(i)
            return True
        try:
            outcomes[i] = self.steps.replayed(job)
        except LedgerError as error:
            outcomes[i] = error
        return outcomes[i] is not None

    def _commit(self, round_: _Round, outcomes: list[Outcome]) -> None:
        accounts = list(round_.workspace.values())
        round_.saved = {a.account_id for a in accounts if a.pending_events}
        exchanges = [exchange for _, exchange in round_.staged]
        if exchanges:
            recordings = self.store.save(*accounts, *exchanges)
            self.store.forget_transient(exchanges)
            positions = {r.notification.originator_id: r.notification.id for r in recordings}
            for i, exchange in round_.staged:
                outcomes[i] = self.steps.record_of(exchange, positions[exchange.id])
