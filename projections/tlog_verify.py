"""Offline checks of the transparency log: an export against a note, a receipt, two notes.

No server, no database: what an auditor or a member runs on files. Each failure names what
failed (`signature`, `root`, `proof`, `size`, `event`) so a script can act on it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from typing import Any

from domain.exchange import exchange_id_in
from projections.audit_chain import GENESIS, canonical
from projections.audit_keys import NoteKeys
from projections.tlog.checkpoint import Checkpoint, parse_checkpoint
from projections.tlog.keys import VerifierKey, open_note
from projections.tlog.merkle import leaf_hash, root_of
from projections.tlog.note import NoteError, parse_note
from projections.tlog.proofs import ProofError, verify_consistency, verify_inclusion


class VerificationFailed(Exception):
    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"{what}: {detail}")
        self.what = what


LogKey = VerifierKey | NoteKeys


def signed_checkpoint(note: str, key: LogKey) -> Checkpoint:
    """The note's checkpoint, if the log key signed it (after rotations: the key in force
    for the note's size, as the key history says)."""
    try:
        if isinstance(key, NoteKeys):
            key = key.for_size(parse_checkpoint(parse_note(note).text).size)
        return parse_checkpoint(open_note(note, key).text)
    except NoteError as error:
        raise VerificationFailed("signature", str(error)) from error


def leaf_data(previous: str, event: dict[str, Any]) -> bytes:
    """`d_i`: the previous chain hash's bytes, then JCS of the event without its hash."""
    return bytes.fromhex(previous) + canonical({k: v for k, v in event.items() if k != "hash"})


def export_leaves(events: Iterable[dict[str, Any]]) -> list[bytes]:
    leaves, previous = [], GENESIS
    for event in events:
        data = leaf_data(previous, event)
        leaves.append(leaf_hash(data))
        previous = hashlib.sha256(data).hexdigest()
    return leaves


def verify_export(events: Iterable[dict[str, Any]], note: str, key: LogKey) -> Checkpoint:
    checkpoint = signed_checkpoint(note, key)
    leaves = export_leaves(events)
    if len(leaves) < checkpoint.size:
        raise VerificationFailed(
            "size", f"the export holds {len(leaves)} events, the note {checkpoint.size}"
        )
    if root_of(leaves[: checkpoint.size]) != checkpoint.root:
        raise VerificationFailed(
            "root", f"the export's first {checkpoint.size} events do not have the note's root"
        )
    return checkpoint


def verify_receipt(receipt: dict[str, Any], key: LogKey) -> Checkpoint:
    checkpoint = signed_checkpoint(str(receipt["checkpoint"]), key)
    events, proofs = list(receipt["events"]), list(receipt["proofs"])
    exchange_id = str(receipt["exchange"]["id"])
    if not events or len(events) != len(proofs):
        raise VerificationFailed("proof", "a receipt has one proof per event, and events")
    for event, proof in zip(events, proofs, strict=True):
        _belongs(event, exchange_id)
        _verify_event(event, proof, checkpoint)
    return checkpoint


def _belongs(event: dict[str, Any], exchange_id: str) -> None:
    ids = {exchange_id_in(str(event.get("stream", ""))), event["data"].get("exchange_id")}
    if exchange_id not in ids:
        raise VerificationFailed("event", f"event {event.get('position')} is not of the exchange")


def _verify_event(event: dict[str, Any], proof: dict[str, Any], checkpoint: Checkpoint) -> None:
    position = event.get("position")
    data = leaf_data(str(proof["previous_hash"]), event)
    if hashlib.sha256(data).hexdigest() != event.get("hash") or position != proof["position"]:
        raise VerificationFailed("event", f"event {position} does not match its chain hash")
    if int(proof["size"]) != checkpoint.size:
        raise VerificationFailed("size", f"the proof of {position} is for another tree size")
    try:
        hashes = [base64.b64decode(h, validate=True) for h in proof["hashes"]]
        verify_inclusion(
            int(proof["index"]), checkpoint.size, leaf_hash(data), hashes, checkpoint.root
        )
    except (ProofError, binascii.Error) as error:
        raise VerificationFailed("proof", f"event {position}: {error}") from error


def verify_notes_consistent(
    old_note: str, new_note: str, proof: dict[str, Any], key: LogKey
) -> tuple[Checkpoint, Checkpoint]:
    old, new = signed_checkpoint(old_note, key), signed_checkpoint(new_note, key)
    if (int(proof["from"]), int(proof["to"])) != (old.size, new.size):
        raise VerificationFailed("size", f"the proof is not from {old.size} to {new.size}")
    try:
        hashes = [base64.b64decode(h, validate=True) for h in proof["hashes"]]
        verify_consistency(old.size, new.size, old.root, new.root, hashes)
    except (ProofError, binascii.Error) as error:
        raise VerificationFailed("proof", str(error)) from error
    return old, new
