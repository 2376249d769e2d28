"""Reading the transparency log: sizes, roots, proofs, tiles and signed notes.

Every answer is a few indexed reads of the stored subtree hashes (one statement for all the
nodes a proof needs), never a fold: at a million events an inclusion proof reads about 20
rows. Hashes are bytes here; the API encodes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from projections.store import Row, ViewStore
from projections.tlog.merkle import Node, consistency_proof, inclusion_proof, tree_root

NOTES = "tlog_checkpoints"
NOTES_TABLE = (
    "CREATE TABLE IF NOT EXISTS {tlog_checkpoints} (size BIGINT PRIMARY KEY,"
    " position BIGINT NOT NULL, root BYTEA NOT NULL, note TEXT NOT NULL, vkey TEXT NOT NULL,"
    " created_at TEXT NOT NULL)"
)
TILE_WIDTH = 256
TILE_HEIGHT = 8
_LEAF = "SELECT 0 AS level, n, hash FROM {tlog_leaves} WHERE n = ?"
_NODE = "SELECT level, n, hash FROM {tlog_nodes} WHERE level = ? AND n = ?"


_BY_ARRAYS = (
    "SELECT 0 AS level, n, hash FROM {tlog_leaves} WHERE n = ANY(?::bigint[])"
    " UNION ALL SELECT t.level, t.n, t.hash FROM unnest(?::smallint[], ?::bigint[])"
    " AS wanted(level, n) JOIN {tlog_nodes} t ON t.level = wanted.level AND t.n = wanted.n"
)
_PROOF_START = (
    "SELECT c.size, l.n, l.hash, a.hash AS previous"
    " FROM (SELECT size FROM {tlog_checkpoints} WHERE size <= ? ORDER BY size DESC LIMIT 1) c"
    " LEFT JOIN {tlog_leaves} l ON l.position = ?"
    " LEFT JOIN {tlog_leaves} p ON p.n = l.n - 1"
    " LEFT JOIN {audit_chain} a ON a.position = p.position"
)


class ProofStart(NamedTuple):
    size: int
    leaf: tuple[int, bytes] | None  # (leaf index, leaf hash) of the event
    previous: str | None  # the chain hash of the event of the leaf before


class TreeReads:
    def __init__(self, view: ViewStore) -> None:
        self.view = view

    def size(self) -> int:
        rows = self.view.read("SELECT size FROM {tlog_edge}")
        return int(rows[0]["size"]) if rows else 0

    def size_at(self, position: int) -> int | None:
        """The size of the tree whose last leaf is the event at `position`, once it has one."""
        leaf = self.leaf_at(position)
        return None if leaf is None else leaf[0] + 1

    def leaf_at(self, position: int) -> tuple[int, bytes] | None:
        """(leaf index, leaf hash) of the event at `position`."""
        rows = self.view.read("SELECT n, hash FROM {tlog_leaves} WHERE position = ?", (position,))
        return (int(rows[0]["n"]), bytes(rows[0]["hash"])) if rows else None

    def hashes(self, nodes: set[Node]) -> Mapping[Node, bytes]:
        """Stored subtree hashes, all in one statement."""
        if not nodes:
            return {}
        rows = self._by_arrays(nodes) if self.view.postgres else self._by_union(nodes)
        found = {Node(int(r["level"]), int(r["n"])): bytes(r["hash"]) for r in rows}
        if len(found) != len(nodes):
            raise LookupError("the tree does not hold every subtree asked for yet")
        return found

    def _by_arrays(self, nodes: set[Node]) -> list[Row]:
        """On Postgres: one statement text whatever the nodes, so it is prepared once per
        connection and never planned again (a union of one select a node was planned anew
        for each shape of proof)."""
        leaves = [node.n for node in nodes if node.level == 0]
        inner = [node for node in nodes if node.level != 0]
        levels, numbers = [node.level for node in inner], [node.n for node in inner]
        return self.view.read(_BY_ARRAYS, (leaves, levels, numbers))

    def _by_union(self, nodes: set[Node]) -> list[Row]:
        ordered = sorted(nodes)
        statement = " UNION ALL ".join(_LEAF if node.level == 0 else _NODE for node in ordered)
        params: list[int] = []
        for node in ordered:
            params += [node.n] if node.level == 0 else [node.level, node.n]
        return self.view.read(statement, params)

    def proof_start(self, position: int, size: int | None) -> ProofStart | None:
        """What an inclusion proof starts from, in one statement: the checkpointed size (the
        latest, or `size` if it was checkpointed), the event's leaf if it has one, and the
        chain hash of the event before that leaf (None for the first leaf, or while the
        chain has not reached it). None: no such checkpoint."""
        rows = self.view.read(_PROOF_START, (2**62 if size is None else size, position))
        if not rows or (size is not None and int(rows[0]["size"]) != size):
            return None
        row = rows[0]
        leaf = None if row["n"] is None else (int(row["n"]), bytes(row["hash"]))
        previous = None if row["previous"] is None else str(row["previous"])
        return ProofStart(int(row["size"]), leaf, previous)

    def root(self, size: int) -> bytes:
        return tree_root(size, self.hashes)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return inclusion_proof(index, size, self.hashes)

    def consistency(self, old: int, new: int) -> list[bytes]:
        return consistency_proof(old, new, self.hashes)

    def tile(self, level: int, n: int, width: int) -> bytes | None:
        """C2SP tlog-tiles: the tile's hashes, or None while the tree has fewer."""
        start = n * TILE_WIDTH
        if level == 0:
            rows = self.view.read(
                "SELECT hash FROM {tlog_leaves} WHERE n >= ? AND n < ? ORDER BY n",
                (start, start + width),
            )
        else:
            rows = self.view.read(
                "SELECT hash FROM {tlog_nodes} WHERE level = ? AND n >= ? AND n < ? ORDER BY n",
                (level * TILE_HEIGHT, start, start + width),
            )
        return b"".join(bytes(r["hash"]) for r in rows) if len(rows) == width else None

    def leaf_positions(self, start: int, end: int) -> list[int]:
        rows = self.view.read(
            "SELECT position FROM {tlog_leaves} WHERE n >= ? AND n < ? ORDER BY n", (start, end)
        )
        return [int(row["position"]) for row in rows]

    def receipt_positions(self, exchange_id: str) -> list[int]:
        rows = self.view.read(
            "SELECT position FROM {tlog_receipts} WHERE exchange_id = ? ORDER BY position",
            (exchange_id,),
        )
        return [int(row["position"]) for row in rows]

    # Signed notes.

    def last_signed(self, before: int | None = None) -> tuple[int, bytes] | None:
        """(size, root) of the largest size signed (below `before`, if given)."""
        rows = self.view.read(
            "SELECT size, root FROM {tlog_checkpoints} WHERE size < ? ORDER BY size DESC LIMIT 1",
            (before if before is not None else 2**62,),
        )
        return (int(rows[0]["size"]), bytes(rows[0]["root"])) if rows else None

    def note(self, size: int | None = None) -> dict[str, Any] | None:
        """The signed note at `size` (default: the latest), with its size, root and key."""
        fields = "size, position, root, note, vkey, created_at"
        rows = (
            self.view.read(f"SELECT {fields} FROM {{tlog_checkpoints}} WHERE size = ?", (size,))  # noqa: S608
            if size is not None
            else self.view.read(
                f"SELECT {fields} FROM {{tlog_checkpoints}} ORDER BY size DESC LIMIT 1"  # noqa: S608
            )
        )
        return rows[0] if rows else None
