"""C2SP tlog-cosignature, Ed25519 `cosignature/v1` (key type 0x04): sign and verify.

A cosignature is a note signature line whose bytes after the key id are an 8-byte
big-endian POSIX timestamp and an Ed25519 signature over
`cosignature/v1\\ntime <timestamp>\\n` followed by the checkpoint's note text. It states that,
at that time, this was the largest consistent tree the witness had seen for the origin.
The witness's key names itself in its file (`PRIVATE+KEY+<name>+<id>+base64(0x04 || seed)`,
the sumdb/note shape with the cosignature type), so one file is all a witness keeps.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from projections.tlog.keys import VerifierKey, parse_verifier_key
from projections.tlog.note import Note, NoteError, Signature, check_name, check_text, key_id

COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1"
MAX_TIMESTAMP = 2**63 - 1


def signed_message(text: str, timestamp: int) -> bytes:
    """What a `cosignature/v1` signs: a header line, a time line, the checkpoint's text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"a cosignature's time is 0..2^63-1, not {timestamp}")
    return f"{HEADER}\ntime {timestamp}\n{check_text(text)}".encode()


def parse_cosigner_key(text: str) -> VerifierKey:
    """A witness's verifier key: type 0x04, its key id matching name and public key."""
    key = parse_verifier_key(text)
    if key.kind != COSIGNATURE_V1 or len(key.public) != 32:
        raise NoteError(f"{key.name} is not an Ed25519 cosignature key (type 0x04)")
    if key_id(key.name, COSIGNATURE_V1, key.public) != key.key_id:
        raise NoteError(f"the key id of {key.name!r} does not match its public key")
    return key


def cosigned_at(key: VerifierKey, text: str, signature: Signature) -> int | None:
    """The time `key` cosigned `text` at, if `signature` is its valid cosignature; else None."""
    if key.kind != COSIGNATURE_V1 or not key.matches(signature) or len(signature.signature) != 72:
        return None
    timestamp = int.from_bytes(signature.signature[:8], "big")
    try:
        Ed25519PublicKey.from_public_bytes(key.public).verify(
            signature.signature[8:], signed_message(text, timestamp)
        )
    except (InvalidSignature, ValueError):
        return None
    return timestamp


@dataclass(frozen=True)
class Cosigner:
    name: str
    key: Ed25519PrivateKey

    @property
    def verifier(self) -> VerifierKey:
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        name = check_name(self.name)
        return VerifierKey(name, key_id(name, COSIGNATURE_V1, public), COSIGNATURE_V1, public)

    def cosign(self, note: Note, timestamp: int) -> Signature:
        """This witness's cosignature of the note's checkpoint at `timestamp`."""
        signature = self.key.sign(signed_message(note.text, timestamp))
        return Signature(self.name, self.verifier.key_id, timestamp.to_bytes(8, "big") + signature)

    def private_text(self) -> str:
        seed = self.key.private_bytes_raw()
        material = base64.b64encode(bytes([COSIGNATURE_V1]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id:08x}+{material}\n"


def parse_cosigner(text: str) -> Cosigner:
    """A witness's private key file, its id checked against the key it holds."""
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("not a witness private key (PRIVATE+KEY+<name>+<id>+<key>)")
    try:
        raw = base64.b64decode(parts[4], validate=True)
    except binascii.Error as error:
        raise NoteError("not a witness private key") from error
    if len(raw) != 33 or raw[0] != COSIGNATURE_V1:
        raise NoteError("a witness private key is an Ed25519 cosignature key (type 0x04)")
    cosigner = Cosigner(check_name(parts[2]), Ed25519PrivateKey.from_private_bytes(raw[1:]))
    if f"{cosigner.verifier.key_id:08x}" != parts[3]:
        raise NoteError("the witness key's id does not match its key")
    return cosigner
