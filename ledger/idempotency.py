"""Idempotency: the same key and body from one organisation answer the first answer again.

A key names a record id (ledger/keyed_ids.py); a body is known again by its fingerprint,
keyed with the same secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from uuid import UUID, uuid5

import orjson

from ledger.ports import new_uuid

# What `json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
# builds on every call, built once: the same bytes.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_FINGERPRINT = b"fingerprint\x1f"
_SCALARS = (str, bool, type(None))
_INT64 = range(-(2**63), 2**63)


def _canonical(content: object) -> bytes:
    """Sorted, compact JSON, as `json.dumps` writes it: the form fingerprints were made of.

    orjson writes the same bytes for strings, 64-bit integers, booleans, nulls, lists and
    string-keyed objects (a property test holds them equal); anything else (a float, a
    lone surrogate, a larger integer) takes `json.dumps` itself, and its error if it has one.
    """
    if _plain(content):
        try:
            return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass
    return _ENCODER.encode(content).encode()


def _plain(value: object) -> bool:
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is int:
        return value in _INT64
    if kind is dict:
        items = value.items()  # type: ignore[attr-defined]
        return all(type(k) is str and (type(v) in _SCALARS or _plain(v)) for k, v in items)
    if kind is list:
        return all(type(item) in _SCALARS or _plain(item) for item in value)  # type: ignore[attr-defined]
    return False


def keyed_fingerprint(secret: bytes, content: object) -> str:
    """HMAC-SHA256 under the id key: a body's fingerprint, which tells nothing about the body
    to anyone without the key (a plain hash of a body with a note lets anyone confirm a
    guessed note against the log)."""
    return hmac.new(secret, _FINGERPRINT + _canonical(content), "sha256").hexdigest()


class KeyedFingerprints:
    """`keyed_fingerprint` under one secret, with the key and the prefix hashed once: each
    fingerprint then costs a copy of that state and the body's own hashing."""

    def __init__(self, secret: bytes) -> None:
        self._keyed = hmac.new(secret, _FINGERPRINT, "sha256")

    def __call__(self, content: object) -> str:
        mac = self._keyed.copy()  # the original is never updated: safe from any thread
        mac.update(_canonical(content))
        return mac.hexdigest()


def fingerprint(content: object) -> str:
    """The unkeyed fingerprint of records made before fingerprints were keyed."""
    return hashlib.sha256(_canonical(content)).hexdigest()


def batch_item_id(batch_id: UUID | None, index: int) -> str:
    """A batch recorded under an idempotency key gives its items ids derived from the key's
    record id and their index, so a replay finds them; without a key, fresh ones."""
    return str(uuid5(batch_id, str(index)) if batch_id else new_uuid())
