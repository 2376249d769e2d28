"""Idempotency: the same key and body from one organisation answer the first answer again.

A key names a record id (ledger/keyed_ids.py); a body is known again by its `fingerprint`.
"""

from __future__ import annotations

import hashlib
import json
from uuid import UUID, uuid5

from ledger.ports import new_uuid


def fingerprint(content: object) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def batch_item_id(batch_id: UUID | None, index: int) -> str:
    """A batch recorded under an idempotency key gives its items ids derived from the key's
    record id and their index, so a replay finds them; without a key, fresh ones."""
    return str(uuid5(batch_id, str(index)) if batch_id else new_uuid())
