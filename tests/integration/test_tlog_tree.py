"""The transparency tree as a projection: equal to a fold of the export, on every backend,
through failures, restarts, a rebuild, and a projection process killed part-way."""

from __future__ import annotations

import base64
import signal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import projections
from ledger import ExchangeRequest
from projections.audit_chain import GENESIS
from projections.audit_checkpoints import Checkpointer, CheckpointPolicy
from projections.audit_log import AuditLog
from projections.events import LogEvent
from projections.replay import rebuild
from projections.runner import Runner
from projections.store import Cursor, ViewStore
from projections.tlog.checkpoint import parse_checkpoint
from projections.tlog.keys import open_note, parse_verifier_key
from projections.tlog.merkle import root_of
from projections.tlog.proofs import verify_inclusion
from projections.tlog_checkpoints import InconsistentTree
from projections.tlog_log import LogNotFound, TransparencyLog
from projections.tlog_reads import TreeReads
from projections.tlog_tree import TransparencyTree
from tests.integration.projection_support import fresh_ledger
from tests.integration.test_projections_exactly_once import (
    MEMBERS,
    busy_history,
    start_projecting,
    wait_until,
)
from tests.integration.tlog_support import (
    assert_tree_equals_a_fresh_fold,
    export_leaves,
    exported,
)
from tests.unit.support import Clock


class Boom(RuntimeError):
    pass


class FailingTree(TransparencyTree):
    name = TransparencyTree.name

    def __init__(self, view: ViewStore, fail_on: int) -> None:
        super().__init__(view)
        self.pages, self.fail_on = 0, fail_on

    def apply(self, cursor: Cursor, events: list[LogEvent]) -> None:  # type: ignore[override]
        super().apply(cursor, events)
        self.pages += 1
        if self.pages == self.fail_on:
            raise Boom("the disk is full")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_tree_equals_a_fold_of_the_export_after_a_failed_page_and_a_restart(
    backend: str,
) -> None:
    clock = Clock()
    with fresh_ledger(backend, clock) as ledger:
        head = busy_history(ledger, clock, rounds=40)
        view = ViewStore(ledger.recorder)
        with pytest.raises(Boom):
            Runner(ledger.recorder, [FailingTree(view, fail_on=3)], page=9).run_once()
        built = projections.build(ledger, page=13)
        assert 0 < built.tree.position() < head  # two pages kept, the third rolled back
        built.runner.run_once()
        assert built.tree.position() == head
        assert_tree_equals_a_fresh_fold(built.view, AuditLog(ledger.recorder, built.view))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_every_note_checkpoint_has_the_root_recomputed_from_an_export(backend: str) -> None:
    clock = Clock()
    with fresh_ledger(backend, clock) as ledger:
        busy_history(ledger, clock, rounds=30)
        built = projections.build(ledger, page=8)
        built.runner.run_once()
        key = Ed25519PrivateKey.generate()
        Checkpointer(built.view, key, CheckpointPolicy(every=25, seconds=1e9)).tick()
        leaves = export_leaves(exported(AuditLog(ledger.recorder, built.view)))
        reads = TreeReads(built.view)
        notes = built.view.read("SELECT size, note, vkey FROM {tlog_checkpoints} ORDER BY size")
        assert [int(n["size"]) for n in notes] == list(range(25, len(leaves) + 1, 25))
        for row in notes:
            note = open_note(row["note"], parse_verifier_key(row["vkey"]))
            checkpoint = parse_checkpoint(note.text)
            assert (
                checkpoint.root == root_of(leaves[: checkpoint.size]) == reads.root(checkpoint.size)
            )


def test_the_log_refuses_to_sign_a_tree_that_rewrites_a_size_it_signed() -> None:
    clock = Clock()
    with fresh_ledger("sqlite", clock) as ledger:
        busy_history(ledger, clock, rounds=10)
        built = projections.build(ledger)
        built.runner.run_once()
        checkpointer = Checkpointer(
            built.view, Ed25519PrivateKey.generate(), CheckpointPolicy(every=20, seconds=1e9)
        )
        checkpointer.tick()
        signed = built.view.read("SELECT size FROM {tlog_checkpoints} ORDER BY size")
        assert [int(row["size"]) for row in signed] == [20, 40]
        with built.view.transaction() as cursor:  # as a tree rebuilt over a rewritten history
            cursor.execute("UPDATE {tlog_leaves} SET hash = ? WHERE n = 3", (bytes(32),))
            cursor.execute("UPDATE {tlog_nodes} SET hash = ? WHERE level = 2", (bytes(32),))
            cursor.execute("UPDATE {tlog_nodes} SET hash = ? WHERE level = 3", (bytes(32),))
        for _ in range(10):
            ledger.record_exchange(
                "north", ExchangeRequest(MEMBERS[0], MEMBERS[1], 5, clock.today())
            )
        built.runner.run_once()
        with pytest.raises(InconsistentTree, match="not consistent with signed size 40"):
            checkpointer.tick()
        assert built.view.read("SELECT size FROM {tlog_checkpoints} ORDER BY size") == signed


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_replay_rebuilds_the_tree_with_the_rest(backend: str) -> None:
    clock = Clock()
    with fresh_ledger(backend, clock) as ledger:
        busy_history(ledger, clock, rounds=30)
        built = projections.build(ledger, page=7)
        rebuild(ledger, built)
        assert built.tree.position() == ledger.head_position()
        assert_tree_equals_a_fresh_fold(built.view, AuditLog(ledger.recorder, built.view))


def tree_position(view: ViewStore) -> int:
    return view.max_tracking_id(TransparencyTree.name) or 0


def test_a_projection_process_killed_mid_page_leaves_the_tree_equal_to_a_fresh_fold(
    tmp_path: Path,
) -> None:
    clock = Clock()
    with fresh_ledger("postgres", clock) as ledger:
        head = busy_history(ledger, clock, rounds=250)
        view = ViewStore(ledger.recorder)
        first = start_projecting(ledger.database.url, tmp_path)
        try:
            assert wait_until(lambda: tree_position(view) > head // 5, first, timeout=60)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        assert 0 < tree_position(view) < head, "killed part-way"
        second = start_projecting(ledger.database.url, tmp_path)
        try:
            # The worker also records overdue pending exchanges as expired (its clock is the
            # real one), so the log grows past `head`: the tree must reach the log's end.
            at_end = lambda: tree_position(view) == ledger.recorder.max_notification_id()  # noqa: E731
            assert wait_until(lambda: tree_position(view) >= head and at_end(), second, 60)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(20) == 0
        assert_tree_equals_a_fresh_fold(view, AuditLog(ledger.recorder, view))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_every_inclusion_proof_binds_its_event_and_leads_to_the_checkpoint_root(
    backend: str,
) -> None:
    """Each event's leaf hash, the chain hash before it, and the proof's path, at the latest
    size and at an older checkpointed one; a size never checkpointed, or an event past the
    size asked for, is not found."""
    clock = Clock()
    with fresh_ledger(backend, clock) as ledger:
        busy_history(ledger, clock, rounds=12)
        built = projections.build(ledger, page=8)
        built.runner.run_once()
        Checkpointer(
            built.view, Ed25519PrivateKey.generate(), CheckpointPolicy(every=10, seconds=1e9)
        ).tick()
        audit = AuditLog(ledger.recorder, built.view)
        events, log, reads = exported(audit), TransparencyLog(audit), TreeReads(built.view)
        leaves = export_leaves(events)
        latest = int(log.note()["size"])
        for size in (latest, 10):
            for index, event in enumerate(events[:size]):
                proof = log.inclusion(event["position"], None if size == latest else size)
                assert (proof["index"], proof["size"]) == (index, size)
                assert proof["previous_hash"] == (events[index - 1]["hash"] if index else GENESIS)
                assert base64.b64decode(proof["leaf_hash"]) == leaves[index]
                path = [base64.b64decode(h) for h in proof["hashes"]]
                verify_inclusion(index, size, leaves[index], path, reads.root(size))
        with pytest.raises(LogNotFound):
            log.inclusion(events[10]["position"], 10)
        with pytest.raises(LogNotFound):
            log.inclusion(events[0]["position"], 11)
