"""Idempotency: the same key and body from one organisation answer the first answer again.

A key names a record id (ledger/keyed_ids.py); a body is known again by its fingerprint,
keyed with the same secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from uuid import UUID, uuid5

from ledger.ports import new_uuid


def _canonical(content: object) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def keyed_fingerprint(secret: bytes, content: object) -> str:
    """HMAC-SHA256 under the id key: a body's fingerprint, which tells nothing about the body
    to anyone without the key (a plain hash of a body with a note lets anyone confirm a
    guessed note against the log)."""
    return hmac.new(secret, b"fingerprint\x1f" + _canonical(content), "sha256").hexdigest()


def fingerprint(content: object) -> str:
    """The unkeyed fingerprint of records made before fingerprints were keyed."""
    return hashlib.sha256(_canonical(content)).hexdigest()


def batch_item_id(batch_id: UUID | None, index: int) -> str:
    """A batch recorded under an idempotency key gives its items ids derived from the key's
    record id and their index, so a replay finds them; without a key, fresh ones."""
    return str(uuid5(batch_id, str(index)) if batch_id else new_uuid())
