"""Idempotency: the same key and body from one organisation answer the first answer again.

A key names a record id (`idempotent_id`); a body is known again by its `fingerprint`.
"""

from __future__ import annotations

import hashlib
import json
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from domain.errors import InvalidRequest

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:timebank-ledger:idempotency")
MAX_IDEMPOTENCY_KEY = 255


def fingerprint(content: object) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_id(organisation: str, key: str) -> UUID:
    """Keys of different organisations never collide; the same key maps to the same record."""
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise InvalidRequest(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
    return uuid5(IDEMPOTENCY_NAMESPACE, f"{organisation}\x1f{key}")


def batch_item_id(batch_id: UUID | None, index: int) -> str:
    """A batch recorded under an idempotency key gives its items ids derived from the key's
    record id and their index, so a replay finds them; without a key, fresh ones."""
    return str(uuid5(batch_id, str(index)) if batch_id else uuid4())
