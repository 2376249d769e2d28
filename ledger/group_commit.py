"""Many callers' exchanges in one transaction, each refused or recorded on its own merits.

Exchanges are prepared one after another against the same in-memory accounts, so each sees
the balances left by those before it. A refused exchange is rolled back to a savepoint taken
of the accounts it touched, without disturbing the others. If the commit meets a conflict with
another process, the cached accounts are evicted and the whole group prepared again.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from domain.account import Account
from domain.errors import Conflict, LedgerError
from domain.exchange import Exchange, exchange_stream
from ledger.base import MAX_ATTEMPTS, LedgerBase, back_off
from ledger.records import ExchangeRecord

if TYPE_CHECKING:
    from ledger.exchanges import _ExchangeJob, _Recorder
    from ledger.records import ExchangeRequest


class Workspace(dict[str, Account]):
    """Accounts shared by a group, with a savepoint for the exchange being prepared."""

    def __init__(self) -> None:
        super().__init__()
        self._saved: dict[str, dict[str, Any]] = {}

    def begin(self) -> None:
        self._saved = {}

    def remember(self, account_id: str, account: Account) -> None:
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


@dataclass
class _Round:
    """One attempt at committing a group."""

    workspace: Workspace = field(default_factory=Workspace)
    staged: list[tuple[int, Exchange]] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    deferred: list[int] = field(default_factory=list)
    refused: dict[int, set[str]] = field(default_factory=dict)


class GroupCommit(LedgerBase):
    def run_group(self, jobs: list[Any]) -> list[Any]:
        outcomes: list[Any] = [None] * len(jobs)
        todo, judged_fresh = list(range(len(jobs))), set[int]()
        while todo:
            finished = self._commit_round(jobs, todo, outcomes)
            # A refusal may rest on an account cached before another process changed it;
            # accounts saved in this round were proven current, the others are reloaded.
            stale = {i: touched - finished.saved for i, touched in finished.refused.items()}
            again = [i for i, accounts in stale.items() if accounts and i not in judged_fresh]
            for i in again:
                self._evict({f"account:{a}" for a in stale[i]})
            judged_fresh.update(again)
            todo = finished.deferred + again
        return outcomes

    def _commit_round(
        self, jobs: list[_ExchangeJob], todo: list[int], outcomes: list[Any]
    ) -> _Done:
        for attempt in range(MAX_ATTEMPTS):
            self._touched().clear()
            round_ = _Round()
            try:
                for i in todo:
                    self._stage(round_, i, jobs[i], outcomes)
                return self._commit(round_, outcomes)
            except IntegrityError:
                self._evict(self._touched())
                back_off(attempt)
            except BaseException:
                self._evict(self._touched())
                raise
        raise Conflict("too many concurrent changes to the same records; try again")

    def _stage(self, round_: _Round, i: int, job: _ExchangeJob, outcomes: list[Any]) -> None:
        exchange_id = str(job.idem_id or uuid4())
        if job.idem_id is not None:
            if exchange_stream(exchange_id) in round_.created:
                round_.deferred.append(i)  # the same key twice: answer it after this commit
                return
            try:
                outcomes[i] = self._replay_exchange(job.idem_id, job.recorder.fingerprint or "")
            except LedgerError as error:
                outcomes[i] = error
            if outcomes[i] is not None:
                return
        round_.workspace.begin()
        try:
            exchange = self._prepare(job.recorder, job.request, exchange_id, round_.workspace)
        except LedgerError as error:
            outcomes[i] = error
            round_.refused[i] = round_.workspace.rollback()
            return
        round_.created.add(exchange.id)
        round_.staged.append((i, exchange))

    def _commit(self, round_: _Round, outcomes: list[Any]) -> _Done:
        accounts = list(round_.workspace.values())
        saved = {a.account_id for a in accounts if a.pending_events}
        exchanges = [exchange for _, exchange in round_.staged]
        if exchanges:
            recordings = self.save(*accounts, *exchanges)
            self._forget_transient(exchanges)
            positions = {r.notification.originator_id: r.notification.id for r in recordings}
            for i, exchange in round_.staged:
                outcomes[i] = self._record_of(exchange, positions[exchange.id])
        return _Done(round_.deferred, round_.refused, saved)

    @abstractmethod
    def _prepare(
        self, recorder: _Recorder, request: ExchangeRequest, exchange_id: str,
        accounts: dict[str, Account],
    ) -> Exchange: ...  # fmt: skip

    @abstractmethod
    def _replay_exchange(self, key_id: UUID, print_: str) -> ExchangeRecord | None: ...

    @abstractmethod
    def _record_of(
        self, exchange: Exchange, position: int, replayed: bool = False
    ) -> ExchangeRecord: ...


@dataclass(frozen=True)
class _Done:
    deferred: list[int]
    refused: dict[int, set[str]]
    saved: set[str]
