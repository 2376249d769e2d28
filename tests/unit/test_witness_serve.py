"""`witness serve` keeps the evidence of every refusal that proves the log misbehaved."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.commands.witness_serve import Witness
from api.commands.witness_state import write_state
from projections.tlog.cosignature import Cosigner
from projections.tlog.witness import Refused, add_checkpoint_body
from tests.unit.test_tlog_witness import note, state_at

COSIGNER = Cosigner("witness.example/north", Ed25519PrivateKey.from_private_bytes(bytes(32)))


def evidence_after(tmp_path: Path, body: str, status: int) -> list[str]:
    state = tmp_path / "state.json"
    write_state(state, state_at(5))
    with pytest.raises(Refused) as refused:
        Witness(COSIGNER, state, clock=lambda: 1_700_000_000).add_checkpoint(body)
    assert refused.value.status == status
    folder = state.with_name("state.json.evidence")
    return sorted(p.name.split("-")[-1] for p in folder.iterdir()) if folder.exists() else []


def test_a_signed_checkpoint_of_a_smaller_tree_is_refused_400_and_kept_as_evidence(
    tmp_path: Path,
) -> None:
    kept = evidence_after(tmp_path, add_checkpoint_body(5, [], note(3)), 400)
    assert kept == ["kept.note", "offered.note", "report.txt"]


def test_a_request_from_another_size_keeps_nothing(tmp_path: Path) -> None:
    assert evidence_after(tmp_path, add_checkpoint_body(4, [], note(12)), 409) == []
