"""The standard set of projections over a ledger's database, with their runner and reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from eventsourcing.persistence import ApplicationRecorder

from ledger import Ledger
from projections.audit_chain import AuditChain
from projections.base import LedgerProjection
from projections.readmodels import LedgerReadModels
from projections.runner import PAGE, Runner
from projections.store import ViewStore
from projections.tlog_tree import TransparencyTree
from projections.views import LedgerViews
from projections.witness_keys import WitnessKeys


@dataclass
class Projections:
    """Every read model of one database: the views, the audit chain, the transparency tree,
    and one runner for them all."""

    view: ViewStore
    views: LedgerViews
    chain: AuditChain
    tree: TransparencyTree
    runner: Runner
    read_models: LedgerReadModels
    witness_keys: WitnessKeys
    _listening: list[Ledger] = field(default_factory=list)

    @property
    def all(self) -> list[LedgerProjection]:
        return [self.views, self.chain, self.tree, self.witness_keys]

    def start(self, ledger: Ledger | None = None) -> None:
        """Follow the log in background threads; woken at once by `ledger`'s commits."""
        if ledger is not None:
            ledger.commit_listeners.append(self.runner.wake)
            self._listening.append(ledger)
        self.runner.start()

    def stop(self) -> None:
        for ledger in self._listening:
            ledger.commit_listeners.remove(self.runner.wake)
        self._listening.clear()
        self.runner.stop()


def build(
    source: Ledger | ApplicationRecorder, *, page: int = PAGE, indexes: bool = True
) -> Projections:
    """The projections over a ledger's event store (or a recorder's), not yet running.
    `indexes=False` is for a rebuild, which makes the secondary indexes at the end."""
    recorder = source.recorder if isinstance(source, Ledger) else source
    view = ViewStore(recorder)
    views = LedgerViews(view, indexes=indexes)
    chain = AuditChain(view, indexes=indexes)
    tree = TransparencyTree(view, indexes=indexes)
    witness_keys = WitnessKeys(view, indexes=indexes)
    runner = Runner(recorder, [views, chain, tree, witness_keys], page=page)
    if isinstance(source, Ledger):
        reads = LedgerReadModels(view, [views], source.today, source.texts.open_rows)
    else:
        reads = LedgerReadModels(view, [views])
    return Projections(view, views, chain, tree, runner, reads, witness_keys)


def open_read_models(ledger: Ledger) -> LedgerReadModels:
    """Read models for the API. With the in-memory store no other process can follow the
    log, so the projections then run here, in threads, until the read models are closed."""
    projections = build(ledger)
    if ledger.database.kind == "memory":
        projections.start(ledger)
        projections.read_models.on_close.append(projections.stop)
    return projections.read_models
