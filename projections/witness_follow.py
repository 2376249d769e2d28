"""A witness follows a rotation of the log's key without being bootstrapped again.

When a checkpoint is signed by a key the witness does not know, it fetches the log's key
history and checks every link from the key it trusts: each new key announced under the old
one and signed by both. It then trusts the key in force for the checkpoint's size, and only
that one: the keys before it are retired, and never trusted again.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from projections.audit_keys import KeyHistoryError, verify_history
from projections.tlog.checkpoint import parse_checkpoint
from projections.tlog.keys import VerifierKey, open_note
from projections.tlog.note import NoteError, parse_note
from projections.tlog.witness import Refused, WitnessState, log_signed

History = Callable[[], list[Any]]


def trusting_signer(state: WitnessState, message: str, history: History | None) -> WitnessState:
    """The state, trusting the note's signer if a rotation from a trusted key leads to it."""
    try:
        log_signed(state, message)
        return state
    except Refused as refused:
        if refused.status != 403 or history is None:
            return state  # `advance` refuses it again, with its own status
    return follow_rotation(state, message, history())


def follow_rotation(state: WitnessState, message: str, statements: list[Any]) -> WitnessState:
    """The state trusting the key in force for the note's size; else `Refused(403)`."""
    try:
        note = parse_note(message)
        size = parse_checkpoint(note.text).size
    except NoteError as error:
        raise Refused(400, f"not a checkpoint note: {error}") from error
    reason = "the key history is empty"
    for trusted in state.verifier_keys():
        try:
            key = _successor(state.origin, trusted, statements, size)
            open_note(note, key)
        except (KeyHistoryError, NoteError) as error:
            reason = str(error)
            continue
        return replace(state, log_keys=(str(key),))
    raise Refused(403, f"no trusted log key signed the checkpoint, nor leads to its key: {reason}")


def _successor(origin: str, trusted: VerifierKey, statements: list[Any], size: int) -> VerifierKey:
    pin = base64.b64encode(trusted.public).decode()
    history = verify_history(statements, pin)
    if history.origin not in (None, origin):
        raise KeyHistoryError(f"the key history is of another log, {history.origin}")
    key = history.note_key_at(size, origin)
    position = history.index(base64.b64encode(key.public).decode())
    if position is None or position < (history.index(pin) or 0):
        raise KeyHistoryError("the key in force at that size was retired before the trusted key")
    return key
