"""Checkpoint signatures: Ed25519 over `JCS({position, hash, created_at})`.

The private key lives in a file, never in the database: whoever can rewrite the database
still cannot sign a checkpoint for a rewritten history. Verification needs only the
checkpoint itself (it carries its public key) and, to pin the signer, a key the auditor got
through another channel.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.files import open_private
from projections.audit_chain import canonical

SIGNING_KEY_VAR = "TIMEBANK_SIGNING_KEY"
DEFAULT_KEY_PATH = Path("var") / "signing-key.pem"
CHECKPOINT_FIELDS = ("position", "hash", "created_at", "signature", "public_key")
_RAW = serialization.PublicFormat.Raw


class SigningKeyError(RuntimeError):
    """The configured signing key cannot be used."""


def signing_key_path() -> Path:
    return Path(os.environ.get(SIGNING_KEY_VAR) or DEFAULT_KEY_PATH)


def load_signing_key(*, create: bool = True) -> Ed25519PrivateKey | None:
    """The configured key; on a first start without `TIMEBANK_SIGNING_KEY`, a new one."""
    path = signing_key_path()
    if path.exists():
        return _read_private_key(path)
    if os.environ.get(SIGNING_KEY_VAR):
        raise SigningKeyError(f"{SIGNING_KEY_VAR} names {path}, which does not exist")
    return _create_key(path) if create else None


def load_key_file(path: Path, *, create: bool) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file at `path`; made there (0600) if missing."""
    if create and not path.exists():
        return _create_key(path)
    return _read_private_key(path)


def _read_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def _create_key(path: Path) -> Ed25519PrivateKey:
    """Write the key readable by its owner only; a concurrent first start keeps one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = open_private(temporary, exclusive=True)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    try:
        os.link(temporary, path)  # atomic: fails if another process got there first
    except FileExistsError:
        return _read_private_key(path)
    finally:
        temporary.unlink()
    return key


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key in base64, as checkpoints carry it."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw, _RAW)).decode()


def sign_checkpoint(
    key: Ed25519PrivateKey, position: int, hash: str, created_at: str
) -> dict[str, Any]:
    signed = {"position": position, "hash": hash, "created_at": created_at}
    signature = key.sign(canonical(signed))
    return {
        **signed,
        "signature": base64.b64encode(signature).decode(),
        "public_key": public_key_text(key),
    }


def checkpoint_problem(checkpoint: dict[str, Any], expected_key: str | None = None) -> str | None:
    """Why a checkpoint cannot be trusted, or None when its signature holds."""
    missing = [field for field in CHECKPOINT_FIELDS if field not in checkpoint]
    if missing:
        return f"the checkpoint lacks {', '.join(missing)}"
    public_key = str(checkpoint["public_key"])
    if expected_key is not None and public_key != expected_key:
        return (
            f"the checkpoint was signed by key {public_key}, not by the expected key {expected_key}"
        )
    signed = {k: checkpoint[k] for k in ("position", "hash", "created_at")}
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(str(checkpoint["signature"]), validate=True), canonical(signed))
    except (InvalidSignature, ValueError, binascii.Error):
        return (
            f"the checkpoint's signature does not verify with public key {public_key}:"
            " the checkpoint was altered, or signed with another key"
        )
    return None


def read_public_key(text: str) -> str:
    """A public key given as base64 of the raw 32 bytes, or as a PEM file (public or private)."""
    path = Path(text)
    if path.is_file():
        data = path.read_bytes()
        if b"PRIVATE KEY" in data:
            return public_key_text(_read_private_key(path))
        public = serialization.load_pem_public_key(data)
        if not isinstance(public, Ed25519PublicKey):
            raise SigningKeyError(f"{path} holds no Ed25519 public key")
        return public_key_text(public)
    try:
        raw = base64.b64decode(text, validate=True)
        return public_key_text(Ed25519PublicKey.from_public_bytes(raw))
    except (ValueError, binascii.Error) as error:
        raise SigningKeyError(
            f"{text!r} is neither a key file nor a base64 Ed25519 public key"
        ) from error
