"""The id an Idempotency-Key gives a record: computable only with the server's secret.

Ids made from the organisation and the key alone (uuid5, as before) let anyone who guesses
a key compute the id and ask whether it exists. HMAC-SHA256 under a secret kept in a file,
never in the database, gives the same key the same id in every process that reads the same
file (API processes, the importer), across restarts, and no id to anyone without it.
Records made before keep their uuid5 ids, so a key is looked up under both.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from uuid import NAMESPACE_URL, UUID, uuid5

from cryptography.hazmat.primitives import hashes, hmac

from domain.errors import InvalidRequest
from ledger.files import create_secret

ID_KEY_VAR = "TIMEBANK_ID_KEY"
DEFAULT_ID_KEY_PATH = Path("var") / "id-key"
SECRET_BYTES = 32
LEGACY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:timebank-ledger:idempotency")
MAX_IDEMPOTENCY_KEY = 255
_VERSION_8 = 8 << 76  # RFC 9562 UUIDv8, "custom": the bits are ours, not random or a hash
_VARIANT = 0b10 << 62


class IdKeyError(RuntimeError):
    """The configured id key cannot be used."""


class KeyedId(UUID):
    """A keyed record's id, which also knows the id the same key gave before ids were keyed."""

    __slots__ = ("legacy",)
    legacy: UUID

    def __init__(self, current: UUID, legacy: UUID) -> None:
        super().__init__(int=current.int)
        object.__setattr__(self, "legacy", legacy)  # UUIDs are immutable by design


def keyed_id(secret: bytes, organisation: str, key: str) -> KeyedId:
    """Keys of different organisations never collide; the same key gives the same id."""
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise InvalidRequest(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
    # Organisation ids hold no \x1f, so the two parts cannot run into each other.
    name = f"{organisation}\x1f{key}"
    mac = hmac.HMAC(secret, hashes.SHA256())
    mac.update(name.encode())
    bits = int.from_bytes(mac.finalize()[:16])
    bits = (bits & ~(0xF << 76) & ~(0b11 << 62)) | _VERSION_8 | _VARIANT
    return KeyedId(UUID(int=bits), uuid5(LEGACY_NAMESPACE, name))


class IdKey:
    """The secret, read once. A configured path is read at start, so a wrong one stops the
    start; the default file is made on first use, so tools that record nothing make none."""

    def __init__(self, secret: bytes | None = None) -> None:
        if secret is None and os.environ.get(ID_KEY_VAR):
            secret = _read(id_key_path())
        self._secret = secret

    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = load_id_key()
        return self._secret


def id_key_path() -> Path:
    return Path(os.environ.get(ID_KEY_VAR) or DEFAULT_ID_KEY_PATH)


def load_id_key() -> bytes:
    """The configured secret; without `TIMEBANK_ID_KEY`, the one under var/, made if need be."""
    path = id_key_path()
    if path.exists():
        return _read(path)
    if os.environ.get(ID_KEY_VAR):
        raise IdKeyError(f"{ID_KEY_VAR} names {path}, which does not exist")
    return _create(path)


def _read(path: Path) -> bytes:
    try:
        secret = path.read_bytes().strip()
    except OSError as error:
        raise IdKeyError(f"cannot read the id key {path}: {error}") from error
    if len(secret) < SECRET_BYTES:
        raise IdKeyError(f"{path} holds {len(secret)} bytes; an id key needs {SECRET_BYTES}")
    return secret


def _create(path: Path) -> bytes:
    """Write the secret readable by its owner only; a concurrent first start keeps one."""
    secret = secrets.token_hex(SECRET_BYTES).encode()
    return secret if create_secret(path, secret) else _read(path)
