"""The master key that wraps every account's data key: a file, never in the database.

`TIMEBANK_DATA_KEY` names the file; without it, `var/data-key` is made on first use (mode
0600), as the id key is. The database holds account keys only wrapped under this key, so a
copy of the database alone opens no note. `KeyProvider` is what the ledger needs of it: a
key management service (Vault's transit engine, a cloud KMS) can stand behind the same two
calls, so the master key never has to leave it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV

from ledger.files import create_secret

DATA_KEY_VAR = "TIMEBANK_DATA_KEY"
DEFAULT_DATA_KEY_PATH = Path("var") / "data-key"
KEY_BYTES = 32
_NONCE = 12


class DataKeyError(RuntimeError):
    """The configured data key cannot be used."""


class KeyProvider(Protocol):
    def wrap(self, key: bytes, context: bytes) -> bytes:
        """`key` encrypted for storage; `context` (the account and key id) is bound to it."""
        ...

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """The key back; DataKeyError if it was wrapped under another key or context."""
        ...


class FileKeyProvider:
    """AES-GCM-SIV under a 256-bit master key read from a file."""

    def __init__(self, master: bytes | None = None) -> None:
        self._cipher = AESGCMSIV(master if master is not None else load_data_key())

    def wrap(self, key: bytes, context: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._cipher.encrypt(nonce, key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return self._cipher.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], context)
        except InvalidTag:
            raise DataKeyError("an account key was wrapped under another data key") from None


def data_key_path() -> Path:
    return Path(os.environ.get(DATA_KEY_VAR) or DEFAULT_DATA_KEY_PATH)


def load_data_key() -> bytes:
    """The configured master key; without `TIMEBANK_DATA_KEY`, the one under var/, made if
    need be. A configured path that does not exist stops the start."""
    path = data_key_path()
    if path.exists():
        return _read(path)
    if os.environ.get(DATA_KEY_VAR):
        raise DataKeyError(f"{DATA_KEY_VAR} names {path}, which does not exist")
    secret = secrets.token_hex(KEY_BYTES).encode()
    return bytes.fromhex(secret.decode()) if create_secret(path, secret) else _read(path)


def _read(path: Path) -> bytes:
    try:
        text = path.read_text().strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError) as error:
        raise DataKeyError(f"cannot read the data key {path}: {error}") from error
    if len(key) != KEY_BYTES:
        raise DataKeyError(f"{path} holds {len(key)} bytes; the data key needs {KEY_BYTES}")
    return key
