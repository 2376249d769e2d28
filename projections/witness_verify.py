"""Offline: does a note carry a quorum of valid cosignatures under a policy kept from the log?"""

from __future__ import annotations

from datetime import UTC, datetime

from projections.tlog.note import NoteError
from projections.tlog.policy import parse_policy, verify_witnessed
from projections.tlog_verify import VerificationFailed


def witnessed(note: str, policy_text: str) -> str:
    """Who cosigned the note and when, if they meet the policy's quorum; else
    `VerificationFailed("quorum", ...)` (or `"policy"` for a policy that cannot be read)."""
    try:
        policy = parse_policy(policy_text)
    except NoteError as error:
        raise VerificationFailed("policy", str(error)) from error
    try:
        _, cosigned = verify_witnessed(policy, note)
    except NoteError as error:
        raise VerificationFailed("quorum", str(error)) from error
    who = ", ".join(f"{name} at {_when(time)}" for name, time in sorted(cosigned.items()))
    return f"cosigned by {who}" if who else "the policy asks for no cosignature"


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
