"""Verifying RFC 9162 proofs: 2.1.3.2 (inclusion) and 2.1.4.2 (consistency).

Each check raises `ProofError` saying what does not hold; a proof is accepted only when the
whole of it is used and every hash lands on the expected root.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections.tlog.merkle import HASH_SIZE, node_hash


class ProofError(ValueError):
    """A proof that does not prove what it claims."""


def _check_hashes(hashes: Sequence[bytes]) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError(f"every hash of a proof is {HASH_SIZE} bytes")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` leads `leaf` (at `index`) to, in a tree of `size`."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of size {size}")
    _check_hashes([*proof, leaf])
    fn, sn, digest = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            digest = node_hash(digest, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    return digest


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"the proof of leaf {index} does not lead to the root of size {size}")


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """The tree of size `new` with `new_root` extends the one of size `old` with `old_root`."""
    _check_hashes(proof)
    if not 0 <= old <= new:
        raise ProofError(f"size {old} cannot grow into size {new}")
    if old == 0:
        raise ProofError("nothing is proven consistent with the empty tree")
    if old == new:
        if proof:
            raise ProofError("equal sizes take an empty proof")
        if old_root != new_root:
            raise ProofError(f"two different roots for size {old}")
        return
    if not proof:
        raise ProofError("the proof is empty")
    roots = _consistency_roots(old, new, old_root, proof)
    if roots != (old_root, new_root):
        which = "old" if roots[0] != old_root else "new"
        raise ProofError(f"the proof does not lead to the {which} root (sizes {old} to {new})")


def _consistency_roots(
    old: int, new: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    path = [old_root, *proof] if old & (old - 1) == 0 else list(proof)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for hash_ in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the trees are deep")
        if fn & 1 or fn == sn:
            first, second = node_hash(hash_, first), node_hash(hash_, second)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, hash_)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the trees are deep")
    return first, second
