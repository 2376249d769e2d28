"""Free text sealed for the event log: readable while both parties' account keys exist.

A text of an exchange is encrypted under a key derived from the data keys of *both* of its
accounts (HKDF-SHA256 over the two keys), so deleting either account's key, when that
person asks to be erased, makes every note and reason they share unreadable, in every
organisation, without touching the log. AES-GCM-SIV (misuse resistant: a repeated nonce
leaks no key stream) with the text's place in the log as associated data (stream, version,
field), so a sealed text cannot be moved to another event. GCM-SIV does not commit to its
key, so the envelope also carries a key commitment (HMAC-SHA256 of the derived key), checked
before decrypting: no second key opens the same envelope to another text.

The envelope is one string, stored where the plaintext was:
`tb1.<giver key id>.<receiver key id>.<commitment>.<nonce and ciphertext>` (base64url).
"""

from __future__ import annotations

import base64
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "tb1."
NONCE_BYTES = 12
_SALT = b"timebank-ledger sealed text v1"


@dataclass(frozen=True)
class Envelope:
    giver_key: str
    receiver_key: str
    commitment: bytes
    sealed: bytes  # nonce, then ciphertext and tag

    def text(self) -> str:
        parts = (self.giver_key, self.receiver_key, _b64(self.commitment), _b64(self.sealed))
        return PREFIX + ".".join(parts)


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def parse(value: str) -> Envelope | None:
    """The envelope of a sealed text, or None for anything else (a note stored in clear)."""
    if not is_sealed(value):
        return None
    parts = value.removeprefix(PREFIX).split(".")
    if len(parts) != 4:
        return None
    try:
        return Envelope(parts[0], parts[1], _unb64(parts[2]), _unb64(parts[3]))
    except ValueError:
        return None


def place(stream: str, version: int, field: str) -> bytes:
    """The associated data: where in the log the text belongs."""
    return f"{stream}@{version}#{field}".encode()


@lru_cache(maxsize=4096)
def _pair(giver_key: bytes, receiver_key: bytes) -> tuple[AESGCMSIV, bytes]:
    """The cipher and key commitment of a pair of account keys (cached: a pair of accounts
    shares many exchanges, and the derivation costs more than the encryption)."""
    derived = HKDF(hashes.SHA256(), 32, _SALT, b"text key").derive(giver_key + receiver_key)
    commitment = hmac.digest(derived, b"timebank-ledger key commitment", "sha256")
    return AESGCMSIV(derived), commitment


def seal(text: str, keys: tuple[str, bytes, str, bytes], where: bytes) -> str:
    """`keys`: giver key id and key, receiver key id and key."""
    giver_id, giver_key, receiver_id, receiver_key = keys
    cipher, commitment = _pair(giver_key, receiver_key)
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + cipher.encrypt(nonce, text.encode(), where)
    return Envelope(giver_id, receiver_id, commitment, sealed).text()


def open_envelope(envelope: Envelope, giver_key: bytes, receiver_key: bytes, where: bytes) -> str:
    """The text; ValueError if the keys are not those it was sealed under, or it was moved."""
    cipher, commitment = _pair(giver_key, receiver_key)
    if not hmac.compare_digest(commitment, envelope.commitment):
        raise ValueError("the envelope commits to other keys")
    nonce, body = envelope.sealed[:NONCE_BYTES], envelope.sealed[NONCE_BYTES:]
    try:
        return cipher.decrypt(nonce, body, where).decode()
    except InvalidTag:
        raise ValueError("the envelope does not belong here or was altered") from None


def forget_pairs() -> None:
    """Drop the derived keys held in memory (after an erasure)."""
    _pair.cache_clear()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
