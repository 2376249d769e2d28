"""The transparency tree recomputed from an export, to hold the stored one against."""

from __future__ import annotations

from typing import Any

from projections.audit_chain import GENESIS, canonical
from projections.audit_log import AuditLog
from projections.store import ViewStore
from projections.tlog.merkle import Node, leaf_hash, subtree_hashes


def export_leaves(events: list[dict[str, Any]]) -> list[bytes]:
    """Leaf hashes as an auditor computes them from an export (the CONTRACT's `d_i`)."""
    leaves, previous = [], GENESIS
    for event in events:
        body = {k: v for k, v in event.items() if k != "hash"}
        leaves.append(leaf_hash(bytes.fromhex(previous) + canonical(body)))
        previous = event["hash"]
    return leaves


def exported(log: AuditLog) -> list[dict[str, Any]]:
    return list(log.all_events(until=10**12))


def stored_tree(view: ViewStore) -> dict[Node, bytes]:
    leaves = view.read("SELECT n, hash FROM {tlog_leaves}")
    nodes = view.read("SELECT level, n, hash FROM {tlog_nodes}")
    found = {Node(0, int(r["n"])): bytes(r["hash"]) for r in leaves}
    return found | {Node(int(r["level"]), int(r["n"])): bytes(r["hash"]) for r in nodes}


def assert_tree_equals_a_fresh_fold(view: ViewStore, log: AuditLog) -> None:
    events = exported(log)
    assert stored_tree(view) == subtree_hashes(export_leaves(events))
    rows = view.read("SELECT position FROM {tlog_leaves} ORDER BY n")
    assert [int(r["position"]) for r in rows] == [e["position"] for e in events]
