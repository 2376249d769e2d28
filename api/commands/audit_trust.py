"""Which signer `timebank audit verify` trusts, and what an `ok` has then proven.

A checkpoint names its own public key, so a forger who re-chains a history can sign a
checkpoint for it with a key of their own: a signature that verifies proves nothing until
the key is pinned. The pin is `--public-key` (what an auditor got from the operator through a
channel they trust) or, on the server itself, the configured signing key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from projections.audit_export import Expected
from projections.audit_keys import KeyHistoryError, verify_history
from projections.audit_signing import (
    SIGNING_KEY_VAR,
    load_signing_key,
    public_key_text,
    read_public_key,
    signing_key_path,
)
from projections.audit_verify import Outcome

UNPINNED = (
    "a checkpoint proves nothing unless its signer is pinned (it names its own key, and a"
    " forger can sign one for a rewritten history): pass the operator's public key with"
    " --public-key KEY, obtained through a channel you trust (the operator prints it with"
    f" `timebank audit public-key`), or run this where {SIGNING_KEY_VAR} is configured"
)


@dataclass(frozen=True)
class Pin:
    key: str  # base64 of the raw public key, as checkpoints carry it
    source: str  # where it came from, to say so


def pinned_key(given: str | None) -> Pin | None:
    """`--public-key` when given, else the configured signing key when it is here."""
    if given:
        return Pin(read_public_key(given), "the key given with --public-key")
    configured = load_signing_key(create=False)
    if configured is None:
        return None
    return Pin(public_key_text(configured), f"the configured signing key ({signing_key_path()})")


def read_statements(path: Path | None) -> list[Any]:
    """The rotation statements of a key history file (as `GET /v1/audit/log/keys` serves)."""
    if path is None:
        return []
    try:
        body = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise KeyHistoryError(f"{path} is not a key history (not JSON): {error}") from error
    rotations = body.get("rotations") if isinstance(body, dict) else body
    if not isinstance(rotations, list):
        raise KeyHistoryError(f"{path} is not a key history")
    return rotations


def expected_signer(pin: Pin | None, statements: list[Any]) -> Expected:
    """The pinned key, or, after rotations, the key in force at each position: the history
    verified from the pin, which may be any of its keys."""
    if pin is None or not statements:
        return pin.key if pin else None
    return verify_history(statements, pin.key).key_at


def trust_notes(outcome: Outcome, pin: Pin | None, baseline: bool) -> list[str]:
    """For stderr: how far an `ok` goes, so that it is never read as more than it is."""
    if pin is not None and outcome.marks:
        hashes = "hash" if outcome.marks == 1 else "hashes"
        matched = f"{outcome.marks} checkpoint {hashes} matched"
        return [f"{matched}, signed by {pin.key} ({pin.source})"]
    absent = (("checkpoint", not outcome.marks), ("pinned key", pin is None))
    missing = ", ".join(f"no {name}" for name, is_absent in absent if is_absent)
    if baseline:
        return [f"only the chain's own consistency and the baseline were checked ({missing})"]
    return [
        f"only the chain's own consistency was checked ({missing}): a history rewritten and"
        " re-chained would pass too"
    ]
