"""A witness's one rule, and the C2SP tlog-witness request that carries it, with no I/O.

A witness keeps, per log, the latest checkpoint it verified (`WitnessState`). It cosigns a
new checkpoint only when the log signed it and a consistency proof shows it extends the
kept one; the kept state is replaced *before* signing, so it never signs two roots for one
size, whatever happens between the two. Both modes share `advance`: pull (`witness sync`
fetches the proof itself) and push (`POST /add-checkpoint` brings it). A refusal carries
the HTTP status c2sp.org/tlog-witness gives it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, replace
from typing import Any

from projections.tlog.checkpoint import Checkpoint, parse_checkpoint
from projections.tlog.keys import VerifierKey, open_note, parse_verifier_key
from projections.tlog.merkle import EMPTY_ROOT
from projections.tlog.note import Note, NoteError, parse_note
from projections.tlog.proofs import ProofError, verify_consistency

MAX_PROOF_LINES = 63


class Refused(Exception):
    """The witness will not cosign: `status` as tlog-witness answers, `size` for a 409."""

    def __init__(self, status: int, reason: str, size: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.size = size


@dataclass(frozen=True)
class WitnessState:
    origin: str
    log_keys: tuple[str, ...]
    size: int = 0
    root: bytes = EMPTY_ROOT
    note: str = ""

    def verifier_keys(self) -> list[VerifierKey]:
        return [parse_verifier_key(text) for text in self.log_keys]

    def to_json(self) -> str:
        body = {
            "origin": self.origin,
            "log_keys": list(self.log_keys),
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "note": self.note,
        }
        return json.dumps(body, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> WitnessState:
        body: dict[str, Any] = json.loads(text)
        root = base64.b64decode(str(body["root"]), validate=True)
        keys = tuple(str(k) for k in body["log_keys"])
        return cls(str(body["origin"]), keys, int(body["size"]), root, str(body["note"]))

    def trusting(self, key: VerifierKey) -> WitnessState:
        """The state with one more log key (a rotation the old key announced)."""
        return replace(self, log_keys=(*self.log_keys, str(key)))


def log_signed(state: WitnessState, message: str) -> tuple[Note, Checkpoint]:
    """The note and its checkpoint, if a log key of the state signed it (else 404 / 403)."""
    try:
        note = parse_note(message)
        checkpoint = parse_checkpoint(note.text)
    except NoteError as error:
        raise Refused(400, f"not a checkpoint note: {error}") from error
    if checkpoint.origin != state.origin:
        raise Refused(404, f"unknown log origin {checkpoint.origin!r}")
    for key in state.verifier_keys():
        try:
            return open_note(note, key), checkpoint
        except NoteError:
            continue
    raise Refused(403, "the checkpoint carries no valid signature of a trusted log key")


def advance(
    state: WitnessState, message: str, old: int, proof: list[bytes]
) -> tuple[WitnessState, Note]:
    """The state to keep before cosigning `message`, given a proof from size `old`."""
    note, checkpoint = log_signed(state, message)
    if old > checkpoint.size:
        raise Refused(400, f"old size {old} is larger than the checkpoint's {checkpoint.size}")
    if old != state.size:
        raise Refused(409, f"this witness is at size {state.size}, not {old}", state.size)
    if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
        raise Refused(422, "a checkpoint of size 0 has the empty tree's root")
    if old == 0 and proof:
        raise Refused(422, "nothing is proven from size 0: the proof must be empty")
    if old > 0:
        try:
            verify_consistency(old, checkpoint.size, state.root, checkpoint.root, proof)
        except ProofError as error:
            raise Refused(
                422, f"not consistent with size {old} cosigned before: {error}"
            ) from error
    kept = replace(state, size=checkpoint.size, root=checkpoint.root, note=str(note))
    return kept, note


def parse_add_checkpoint(body: str) -> tuple[int, list[bytes], str]:
    """`old N`, up to 63 base64 hashes, a blank line, the checkpoint note (tlog-witness)."""
    head, blank, note = body.partition("\n\n")
    lines = head.split("\n")
    words = lines[0].split(" ")
    if not blank or len(words) != 2 or words[0] != "old" or not _decimal(words[1]):
        raise Refused(400, "the body starts with an 'old <size>' line")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Refused(400, f"more than {MAX_PROOF_LINES} proof lines")
    try:
        proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    except binascii.Error as error:
        raise Refused(400, "a proof line is not base64") from error
    return int(words[1]), proof, note


def add_checkpoint_body(old: int, proof: list[bytes], note: str) -> str:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return "\n".join(lines) + "\n\n" + note


def _decimal(text: str) -> bool:
    return text.isascii() and text.isdigit() and (text == "0" or text[0] != "0")
