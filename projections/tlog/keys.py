"""Note keys: an Ed25519 signer and verifier keys as C2SP spells them."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from projections.tlog.note import (
    ED25519,
    Note,
    NoteError,
    Signature,
    check_name,
    check_text,
    key_id,
    parse_note,
)


@dataclass(frozen=True)
class VerifierKey:
    """`<name>+<hex key id>+<base64(type || public key)>`."""

    name: str
    key_id: int
    kind: int
    public: bytes

    def __str__(self) -> str:
        material = base64.b64encode(bytes([self.kind]) + self.public).decode()
        return f"{self.name}+{self.key_id:08x}+{material}"

    def matches(self, signature: Signature) -> bool:
        return signature.name == self.name and signature.key_id == self.key_id

    def verifies(self, text: str, signature: Signature) -> bool:
        """An Ed25519 signature of this key over `text` (other kinds: never)."""
        if self.kind != ED25519 or not self.matches(signature):
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(
                signature.signature, text.encode()
            )
        except (InvalidSignature, ValueError):
            return False
        return True


def parse_verifier_key(text: str) -> VerifierKey:
    name, hex_id, material = [*text.strip().split("+", 2), "", ""][:3]
    try:
        raw = base64.b64decode(material, validate=True)
        identifier = int(hex_id, 16)
    except (binascii.Error, ValueError) as error:
        raise NoteError(f"not a verifier key: {text.strip()[:120]!r}") from error
    if len(hex_id) != 8 or len(raw) < 2:
        raise NoteError(f"not a verifier key: {text.strip()[:120]!r}")
    key = VerifierKey(check_name(name), identifier, raw[0], raw[1:])
    if key.kind == ED25519 and (
        len(key.public) != 32 or key_id(name, ED25519, key.public) != identifier
    ):
        raise NoteError(f"the key id of {name!r} does not match its public key")
    return key


def parse_signer_key(text: str) -> NoteSigner:
    """`PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`, as Go's sumdb/note writes."""
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("not a note signer key")
    try:
        raw = base64.b64decode(parts[4], validate=True)
    except binascii.Error as error:
        raise NoteError("not a note signer key") from error
    if len(raw) != 33 or raw[0] != ED25519:
        raise NoteError("only Ed25519 signer keys are supported")
    signer = NoteSigner(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
    if f"{signer.verifier.key_id:08x}" != parts[3]:
        raise NoteError("the signer key's id does not match its key")
    return signer


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class NoteSigner:
    name: str
    key: Ed25519PrivateKey

    @property
    def verifier(self) -> VerifierKey:
        public = _raw_public(self.key)
        return VerifierKey(
            check_name(self.name), key_id(self.name, ED25519, public), ED25519, public
        )

    def sign(self, text: str) -> Note:
        signature = self.key.sign(check_text(text).encode())
        return Note(text, (Signature(self.name, self.verifier.key_id, signature),))


def open_note(message: str | Note, key: VerifierKey) -> Note:
    """The note, if `key` signed it; its other signatures are kept, not checked."""
    note = parse_note(message) if isinstance(message, str) else message
    mine = [s for s in note.signatures if key.matches(s)]
    if not mine:
        raise NoteError(f"the note carries no signature of {key.name}+{key.key_id:08x}")
    if not all(key.verifies(note.text, s) for s in mine):
        raise NoteError(f"the signature of {key.name} does not verify: the note was altered")
    return note
