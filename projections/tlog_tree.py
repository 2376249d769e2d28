"""The transparency log's Merkle tree: a projection beside the audit chain, fed the same pages.

Leaf `i` is the chain's own preimage of the `i`-th event, `bytes.fromhex(hash_{n-1}) ||
JCS(event_n)`, so the tree and the chain commit to the very same bytes and cannot disagree.
Every completed subtree's hash is stored once, append-only (`tlog_leaves` for level 0, with
the leaf's log position; `tlog_nodes` above); the right edge of the tree (its compact range)
and the chain's head are saved with the tracking position, in the page's transaction, so a
restart resumes where the last page committed, with no rebuild. Proofs and tiles are a batch
of indexed reads (`projections.tlog_reads`). `tlog_receipts` keeps, per exchange, the
positions of its events and of the balance moves it caused, for receipts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar

from domain.exchange import exchange_id_in, is_exchange_stream
from projections.audit_chain import GENESIS, canonical
from projections.base import LedgerProjection
from projections.events import LogEvent
from projections.store import Cursor
from projections.tlog.merkle import HASH_SIZE, append_leaf, leaf_hash


class TransparencyTree(LedgerProjection):
    name = "tlog_tree"
    tables: ClassVar[Sequence[str]] = (
        "CREATE TABLE IF NOT EXISTS {tlog_leaves} (n BIGINT PRIMARY KEY,"
        " position BIGINT NOT NULL, hash BYTEA NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {tlog_nodes} (level SMALLINT NOT NULL, n BIGINT NOT NULL,"
        " hash BYTEA NOT NULL, PRIMARY KEY (level, n))",
        "CREATE TABLE IF NOT EXISTS {tlog_edge} (name TEXT PRIMARY KEY, size BIGINT NOT NULL,"
        " chain_head TEXT NOT NULL, edge BYTEA NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {tlog_receipts} (exchange_id TEXT NOT NULL,"
        " position BIGINT NOT NULL, PRIMARY KEY (exchange_id, position))",
        "CREATE UNIQUE INDEX IF NOT EXISTS tlog_leaves_by_position ON {tlog_leaves} (position)",
    )
    drops: ClassVar[Sequence[str]] = ("tlog_leaves", "tlog_nodes", "tlog_edge", "tlog_receipts")

    def apply(self, cursor: Cursor, events: Sequence[LogEvent]) -> None:
        size, head, edge = read_edge(cursor)
        leaves, nodes, receipts = [], [], []
        for event in events:
            audit = event.as_audit()
            data = head + canonical(audit)
            head = hashlib.sha256(data).digest()
            for node, digest in append_leaf(edge, size, leaf_hash(data)):
                if node.level == 0:
                    leaves.append((node.n, event.position, digest))
                else:
                    nodes.append((node.level, node.n, digest))
            receipts += [(exchange, event.position) for exchange in _exchanges_of(audit)]
            size += 1
        cursor.executemany(_INSERT_LEAF, leaves)
        cursor.executemany(_INSERT_NODE, nodes)
        cursor.executemany(_INSERT_RECEIPT, receipts)
        cursor.execute(_SAVE_EDGE, (self.name, size, head.hex(), b"".join(edge)))


_INSERT_LEAF = "INSERT INTO {tlog_leaves} (n, position, hash) VALUES (?, ?, ?)"
_INSERT_NODE = "INSERT INTO {tlog_nodes} (level, n, hash) VALUES (?, ?, ?)"
_INSERT_RECEIPT = "INSERT INTO {tlog_receipts} (exchange_id, position) VALUES (?, ?)"
_SAVE_EDGE = (
    "INSERT INTO {tlog_edge} (name, size, chain_head, edge) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (name) DO UPDATE SET size = excluded.size,"
    " chain_head = excluded.chain_head, edge = excluded.edge"
)


def read_edge(cursor: Cursor) -> tuple[int, bytes, list[bytes]]:
    """(tree size, chain head hash, right edge hashes) as the last page left them."""
    row = cursor.execute(
        "SELECT size, chain_head, edge FROM {tlog_edge} WHERE name = ?",
        (TransparencyTree.name,),
    ).one()
    if row is None:
        return 0, bytes.fromhex(GENESIS), []
    edge = bytes(row["edge"])
    hashes = [edge[i : i + HASH_SIZE] for i in range(0, len(edge), HASH_SIZE)]
    return int(row["size"]), bytes.fromhex(str(row["chain_head"])), hashes


def _exchanges_of(audit: dict[str, Any]) -> list[str]:
    """The exchange an event belongs to: its own stream, or the one a balance move names."""
    stream = str(audit["stream"])
    if is_exchange_stream(stream):
        return [exchange_id_in(stream)]
    exchange = audit["data"].get("exchange_id")
    return [str(exchange)] if isinstance(exchange, str) else []
