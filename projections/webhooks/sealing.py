"""Webhook secrets at rest: sealed with AES-GCM under a key kept in a file, never in the
database. Signing needs the secret itself, so a hash would not do; whoever reads the
database (a backup, a replica) without the key file learns no secret.

The key file is `TIMEBANK_WEBHOOK_KEY` (default var/webhook-key, made 0600 on first use).
The API seals a new secret; the delivery worker opens it. Each sealed secret is bound to its
endpoint's id, so a sealed value copied onto another endpoint does not open.
"""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.files import open_private

KEY_VAR = "TIMEBANK_WEBHOOK_KEY"
DEFAULT_KEY_PATH = Path("var") / "webhook-key"
NONCE_BYTES = 12


class SealingKeyError(RuntimeError):
    """The configured key file cannot be used."""


def key_path() -> Path:
    return Path(os.environ.get(KEY_VAR) or DEFAULT_KEY_PATH)


def load_key() -> bytes:
    """The key; on a first start without `TIMEBANK_WEBHOOK_KEY`, a new one (one wins a race)."""
    path = key_path()
    if not path.exists():
        if os.environ.get(KEY_VAR):
            raise SealingKeyError(f"{KEY_VAR} names {path}, which does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            descriptor = open_private(path, exclusive=True)
            with os.fdopen(descriptor, "wb") as file:
                file.write(base64.b64encode(AESGCM.generate_key(bit_length=256)) + b"\n")
    key = base64.b64decode(path.read_bytes().strip() or b"?")
    if len(key) != 32:
        raise SealingKeyError(f"{path} does not hold a base64 256-bit key")
    return key


class Sealer:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, secret: str, endpoint_id: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), endpoint_id.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str, endpoint_id: str) -> str:
        raw = base64.b64decode(sealed)
        nonce, box = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        return self._aead.decrypt(nonce, box, endpoint_id.encode()).decode()
