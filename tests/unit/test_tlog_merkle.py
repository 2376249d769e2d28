"""The RFC 9162 tree and its proofs, against the RFC's known answers and every small tree."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.tlog.merkle import (
    Node,
    append_leaf,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_of,
    subtree_hashes,
    tree_root,
)
from projections.tlog.proofs import ProofError, verify_consistency, verify_inclusion

VECTORS = Path(__file__).parents[1] / "vectors" / "merkle"
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
             "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def cases(kind: str) -> list[Any]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    return [pytest.param(json.loads(f.read_text()), id=str(f.relative_to(VECTORS))) for f in files]


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def hashes(values: list[str] | None) -> list[bytes]:
    return [b64(v) for v in values or []]


def reader(table: dict[Node, bytes]) -> Any:
    return lambda nodes: {node: table[node] for node in nodes}


def test_the_roots_of_the_certificate_transparency_leaves_are_the_rfc_roots() -> None:
    leaves = [leaf_hash(bytes.fromhex(data)) for data in CT_LEAVES]
    assert [root_of(leaves[:size]).hex() for size in range(9)] == CT_ROOTS


@pytest.mark.parametrize("case", cases("inclusion"))
def test_an_inclusion_vector_verifies_exactly_when_it_should(case: dict[str, Any]) -> None:
    def check() -> None:
        verify_inclusion(
            case["leafIdx"], case["treeSize"], b64(case["leafHash"]), hashes(case["proof"]),
            b64(case["root"]),
        )  # fmt: skip

    if case["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize("case", cases("consistency"))
def test_a_consistency_vector_verifies_exactly_when_it_should(case: dict[str, Any]) -> None:
    def check() -> None:
        verify_consistency(
            case["size1"], case["size2"], b64(case["root1"]), b64(case["root2"]),
            hashes(case["proof"]),
        )  # fmt: skip

    if case["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


def happy(kind: str) -> list[Any]:
    """The vectors' happy paths over the eight CT leaves (the others use other leaves)."""
    roots = {base64.b64encode(bytes.fromhex(root)).decode() for root in CT_ROOTS}
    found = [c for c in cases(kind) if not c.values[0]["wantErr"]]
    key = "root" if kind == "inclusion" else "root2"
    return [c for c in found if c.values[0][key] in roots]


CT_TABLE = subtree_hashes([leaf_hash(bytes.fromhex(data)) for data in CT_LEAVES])


@pytest.mark.parametrize("case", happy("inclusion"))
def test_stored_hashes_give_the_vectors_inclusion_proofs(case: dict[str, Any]) -> None:
    proof = inclusion_proof(case["leafIdx"], case["treeSize"], reader(CT_TABLE))
    assert proof == hashes(case["proof"])


@pytest.mark.parametrize("case", happy("consistency"))
def test_stored_hashes_give_the_vectors_consistency_proofs(case: dict[str, Any]) -> None:
    proof = consistency_proof(case["size1"], case["size2"], reader(CT_TABLE))
    assert proof == hashes(case["proof"])


def tree(size: int) -> tuple[list[bytes], dict[Node, bytes]]:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    return leaves, subtree_hashes(leaves)


def flips(proof: list[bytes]) -> list[list[bytes]]:
    """Every proof one bit away from `proof`."""
    flipped = []
    for i, item in enumerate(proof):
        for bit in range(len(item) * 8):
            changed = bytearray(item)
            changed[bit // 8] ^= 1 << (bit % 8)
            flipped.append([*proof[:i], bytes(changed), *proof[i + 1 :]])
    return flipped


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_every_inclusion_proof_verifies_and_no_one_bit_change_does(case: tuple[int, int]) -> None:
    size, index = case
    leaves, table = tree(size)
    root = tree_root(size, reader(table))
    assert root == root_of(leaves)
    proof = inclusion_proof(index, size, reader(table))
    verify_inclusion(index, size, leaves[index], proof, root)
    for wrong in flips(proof):
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaves[index], wrong, root)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_every_consistency_proof_verifies_and_no_one_bit_change_does(case: tuple[int, int]) -> None:
    old, new = case
    leaves, table = tree(new)
    old_root, new_root = root_of(leaves[:old]), root_of(leaves)
    proof = consistency_proof(old, new, reader(table))
    verify_consistency(old, new, old_root, new_root, proof)
    for wrong in flips(proof):
        with pytest.raises(ProofError):
            verify_consistency(old, new, old_root, new_root, wrong)


def test_every_proof_of_every_tree_up_to_a_hundred_verifies() -> None:
    leaves, table = tree(100)
    for size in range(1, 101):
        root = root_of(leaves[:size])
        for index in range(size):
            verify_inclusion(
                index, size, leaves[index], inclusion_proof(index, size, reader(table)), root
            )
        for old in range(1, size + 1):
            proof = consistency_proof(old, size, reader(table))
            verify_consistency(old, size, root_of(leaves[:old]), root, proof)


def test_appending_leaves_one_by_one_completes_exactly_the_stored_subtrees() -> None:
    leaves, table = tree(300)
    edge: list[bytes] = []
    completed: dict[Node, bytes] = {}
    for size, leaf in enumerate(leaves):
        completed.update(append_leaf(edge, size, leaf))
        assert root_of(leaves[: size + 1]) == tree_root(size + 1, reader(completed))
    assert completed == table
