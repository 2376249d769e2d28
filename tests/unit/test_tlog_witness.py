"""The witness's rule: cosign only what the log signed and a proof shows extends what it kept."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.tlog.checkpoint import Checkpoint
from projections.tlog.keys import NoteSigner
from projections.tlog.merkle import consistency_proof, leaf_hash, root_of, subtree_hashes
from projections.tlog.witness import (
    Refused,
    WitnessState,
    add_checkpoint_body,
    advance,
    parse_add_checkpoint,
)

LOG = NoteSigner("ledger.example/test", Ed25519PrivateKey.from_private_bytes(bytes(32)))
LEAVES = [leaf_hash(bytes([i])) for i in range(20)]


def note(size: int, leaves: list[bytes] = LEAVES, signer: NoteSigner = LOG) -> str:
    return str(signer.sign(Checkpoint(signer.name, size, root_of(leaves[:size])).text()))


def proof(old: int, new: int, leaves: list[bytes] = LEAVES) -> list[bytes]:
    return consistency_proof(old, new, lambda _: subtree_hashes(leaves[:new]))


def state_at(size: int) -> WitnessState:
    fresh = WitnessState(LOG.name, (str(LOG.verifier),))
    return advance(fresh, note(size), 0, [])[0] if size else fresh


def test_a_consistent_checkpoint_moves_the_state_and_round_trips_as_json() -> None:
    kept, _ = advance(state_at(5), note(12), 5, proof(5, 12))
    assert (kept.size, kept.root) == (12, root_of(LEAVES[:12]))
    assert WitnessState.from_json(kept.to_json()) == kept


@pytest.mark.parametrize(
    ("message", "old", "hashes", "status"),
    [
        (note(12, [leaf_hash(b"x"), *LEAVES[1:]]), 5, proof(5, 12), 422),  # rewritten history
        (note(5, [leaf_hash(b"x"), *LEAVES[1:]]), 5, [], 422),  # a fork: same size, other root
        (note(12), 4, proof(4, 12), 409),  # not from the witness's size
        (note(3), 5, [], 400),  # the tree shrank
        (note(12, signer=NoteSigner(LOG.name, Ed25519PrivateKey.generate())), 5, [], 403),
        (note(12, signer=NoteSigner("other.example/log", LOG.key)), 5, [], 404),
    ],
)
def test_the_witness_refuses_with_the_protocols_status(
    message: str, old: int, hashes: list[bytes], status: int
) -> None:
    with pytest.raises(Refused) as refused:
        advance(state_at(5), message, old, hashes)
    assert refused.value.status == status
    if status == 409:
        assert refused.value.size == 5


def test_the_add_checkpoint_body_round_trips() -> None:
    body = add_checkpoint_body(5, proof(5, 12), note(12))
    assert parse_add_checkpoint(body) == (5, proof(5, 12), note(12))
    with pytest.raises(Refused):
        parse_add_checkpoint("old 05\n\n" + note(12))
