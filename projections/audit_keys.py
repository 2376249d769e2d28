"""The signing key's history: each new key announced under the old one, and signed by both.

One Ed25519 key signs the JSON checkpoints and the note checkpoints. When the operator
replaces it (`timebank audit rotate-key`), a *rotation statement* is recorded:

    {"type": "timebank/key-rotation/v1", "origin", "previous_key", "key",
     "after_position", "after_size", "created_at", "signatures": {"previous", "key"}}

`previous_key` and `key` are raw public keys in base64, as checkpoints carry them;
`after_position` / `after_size` the last JSON checkpoint and note the previous key signed:
the new key signs everything after them. Both signatures are Ed25519 over
`JCS(statement without "signatures")`: the old key vouches for its successor, and the new
key shows its holder took it on. Anyone holding one key of the chain (pinned) can check the
whole history offline, and from it which key must have signed a checkpoint at any position.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from projections.audit_chain import canonical
from projections.audit_signing import public_key_text
from projections.tlog.keys import VerifierKey
from projections.tlog.note import ED25519, key_id

ROTATION = "timebank/key-rotation/v1"
FIELDS = ("type", "origin", "previous_key", "key", "after_position", "after_size", "created_at")


class KeyHistoryError(ValueError):
    """A key history that does not verify, or does not reach the pinned key."""


def rotation_statement(
    old: Ed25519PrivateKey, new: Ed25519PrivateKey, origin: str, after: tuple[int, int], at: str
) -> dict[str, Any]:
    """The statement announcing `new` after (position, size) `after`, signed by both keys."""
    body = {
        "type": ROTATION,
        "origin": origin,
        "previous_key": public_key_text(old),
        "key": public_key_text(new),
        "after_position": after[0],
        "after_size": after[1],
        "created_at": at,
    }
    signed = canonical(body)
    signatures = {"previous": _b64(old.sign(signed)), "key": _b64(new.sign(signed))}
    return {**body, "signatures": signatures}


@dataclass(frozen=True)
class KeyPeriod:
    """A key, in force for checkpoints after `after_position` and notes after `after_size`."""

    public_key: str
    after_position: int = 0
    after_size: int = 0


@dataclass(frozen=True)
class KeyHistory:
    periods: tuple[KeyPeriod, ...]  # oldest first
    origin: str | None = None

    def key_at(self, position: int) -> str:
        """The key that must have signed the JSON checkpoint at `position`."""
        return self._in_force([p.after_position < position for p in self.periods]).public_key

    def note_key_at(self, size: int, origin: str) -> VerifierKey:
        """The note verifier key that must have signed the note of tree size `size`."""
        period = self._in_force([p.after_size < size for p in self.periods])
        return note_key(origin, period.public_key)

    def _in_force(self, after: list[bool]) -> KeyPeriod:
        """The latest period that began before the point (the first one always has)."""
        found = self.periods[0]
        for period, began in zip(self.periods[1:], after[1:], strict=True):
            if began:
                found = period
        return found

    def index(self, public_key: str) -> int | None:
        keys = [p.public_key for p in self.periods]
        return keys.index(public_key) if public_key in keys else None

    @property
    def current(self) -> str:
        return self.periods[-1].public_key


@dataclass(frozen=True)
class NoteKeys:
    """The log's note keys through its rotations: the one in force for a note's size."""

    history: KeyHistory
    origin: str

    def for_size(self, size: int) -> VerifierKey:
        return self.history.note_key_at(size, self.origin)


def note_key(origin: str, public_key: str) -> VerifierKey:
    raw = base64.b64decode(public_key)
    return VerifierKey(origin, key_id(origin, ED25519, raw), ED25519, raw)


def verify_history(statements: Iterable[Any], pin: str) -> KeyHistory:
    """The history, every link checked, if `pin` (a base64 public key) is one of its keys."""
    items = list(statements)
    if not items:
        return KeyHistory((KeyPeriod(pin),))
    periods = [KeyPeriod(_field(items[0], "previous_key"))]
    origin = _field(items[0], "origin")
    for number, item in enumerate(items, 1):
        periods.append(_link(item, periods[-1], origin, number))
    if pin not in {p.public_key for p in periods}:
        raise KeyHistoryError(f"the pinned key {pin} is not one of the key history's keys")
    return KeyHistory(tuple(periods), origin)


def _link(item: Any, before: KeyPeriod, origin: str, number: int) -> KeyPeriod:
    where = f"key history entry {number}"
    if not isinstance(item, dict) or item.get("type") != ROTATION:
        raise KeyHistoryError(f"{where} is not a {ROTATION} statement")
    if _field(item, "origin") != origin or _field(item, "previous_key") != before.public_key:
        raise KeyHistoryError(f"{where} does not follow from the key before it")
    period = KeyPeriod(
        _field(item, "key"), _number(item, "after_position"), _number(item, "after_size")
    )
    if period.after_position < before.after_position or period.after_size < before.after_size:
        raise KeyHistoryError(f"{where} goes back in the log")
    signed = canonical({field: item[field] for field in FIELDS})
    signatures = item.get("signatures")
    if not isinstance(signatures, dict):
        raise KeyHistoryError(f"{where} carries no signatures")
    for role, key in (("previous", before.public_key), ("key", period.public_key)):
        if not _verifies(key, signatures.get(role), signed):
            raise KeyHistoryError(
                f"{where}: the signature of the {'old' if role == 'previous' else 'new'} key"
                f" {key} does not verify: the statement was forged or altered"
            )
    return period


def _verifies(public_key: str, signature: Any, message: bytes) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(str(signature), validate=True), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def _field(item: Any, name: str) -> str:
    value = item.get(name) if isinstance(item, dict) else None
    if not isinstance(value, str):
        raise KeyHistoryError(f"a key history entry lacks {name}")
    return value


def _number(item: dict[str, Any], name: str) -> int:
    value = item.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise KeyHistoryError(f"a key history entry lacks {name}")
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
