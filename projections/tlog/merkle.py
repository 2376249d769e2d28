"""RFC 9162 section 2.1 (the RFC 6962 tree): hashes, ranges and proofs.

A stored tree keeps the hash of every complete subtree: `Node(level, n)` covers the
leaves `[n * 2**level, (n + 1) * 2**level)`. Any range the RFC's recursion splits a
tree into is a run of such nodes of decreasing size, folded right to left; so a proof is a
plan of nodes, read in one batch, then folded (`fold_plan`). No proof ever needs a rebuild.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class Node(NamedTuple):
    level: int
    n: int  # the n-th subtree of its level


Plan = list[list[Node]]  # one run of nodes per proof hash, in proof order


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two smaller than `size` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees covering `[start, end)`, largest first, each as large as the
    alignment of its start allows. For the ranges of the RFC recursion, their right-to-left
    fold is the range's Merkle tree hash."""
    nodes = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while (1 << level) > end - start:
            level -= 1
        nodes.append(Node(level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root of a run of complete subtrees of decreasing size."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def root_plan(size: int) -> list[Node]:
    return range_nodes(0, size)


def inclusion_plan(index: int, size: int) -> Plan:
    """RFC 9162 2.1.3.1 PATH(index, D[0:size]), as runs of stored nodes, leaf end first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    plan, start, end = [], 0, size
    while end - start > 1:
        half = split_point(end - start)
        if index < start + half:
            plan.append(range_nodes(start + half, end))
            end = start + half
        else:
            plan.append(range_nodes(start, start + half))
            start += half
    return plan[::-1]


def consistency_plan(old: int, new: int) -> Plan:
    """RFC 9162 2.1.4.1 PROOF(old, D[0:new]), as runs of stored nodes."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    if old in (0, new):
        return []
    plan, start, end, whole = [], 0, new, True
    while old != end:
        half = split_point(end - start)
        if old - start <= half:
            plan.append(range_nodes(start + half, end))
            end = start + half
        else:
            plan.append(range_nodes(start, start + half))
            start, whole = start + half, False
    if not whole:
        plan.append(range_nodes(start, end))
    return plan[::-1]


def plan_nodes(plan: Iterable[Sequence[Node]]) -> set[Node]:
    return {node for run in plan for node in run}


def fold_plan(plan: Plan, hashes: Mapping[Node, bytes]) -> list[bytes]:
    return [fold([hashes[node] for node in run]) for run in plan]


def subtree_hashes(leaves: Sequence[bytes]) -> dict[Node, bytes]:
    """Every complete subtree's hash over leaf hashes (for tests and offline checks)."""
    found = {Node(0, i): leaf for i, leaf in enumerate(leaves)}
    level, row = 0, list(leaves)
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level += 1
        found.update({Node(level, i): h for i, h in enumerate(row)})
    return found


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH of leaf hashes, in memory: the root an export recomputes."""
    hashes = subtree_hashes(leaves)
    return fold([hashes[node] for node in root_plan(len(leaves))])


Reader = Callable[[set[Node]], Mapping[Node, bytes]]


def inclusion_proof(index: int, size: int, read: Reader) -> list[bytes]:
    plan = inclusion_plan(index, size)
    return fold_plan(plan, read(plan_nodes(plan)))


def consistency_proof(old: int, new: int, read: Reader) -> list[bytes]:
    plan = consistency_plan(old, new)
    return fold_plan(plan, read(plan_nodes(plan)))


def tree_root(size: int, read: Reader) -> bytes:
    nodes = root_plan(size)
    hashes = read(set(nodes))
    return fold([hashes[node] for node in nodes])


def append_leaf(edge: list[bytes], size: int, leaf: bytes) -> list[tuple[Node, bytes]]:
    """Add leaf number `size` to a tree whose right edge (`root_plan(size)`'s hashes) is
    `edge`, in place; return the subtrees it completes, the leaf first."""
    completed = [(Node(0, size), leaf)]
    digest, child, level = leaf, size, 0
    while child & 1:
        digest = node_hash(edge.pop(), digest)
        child, level = child >> 1, level + 1
        completed.append((Node(level, child), digest))
    edge.append(digest)
    return completed
