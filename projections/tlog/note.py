"""C2SP signed notes (c2sp.org/signed-note) and Ed25519 note keys (type 0x01).

A note is a text ending in a newline, a blank line, then signature lines
`— <key name> base64(key id || signature)`. A key id is the first four bytes of
SHA-256(name || 0x0A || type || public key). The verifier key string is
`<name>+<hex key id>+<base64(type || public key)>`. Other signature types (witness
cosignatures, 0x04) parse through the same `Signature` and `VerifierKey` shapes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

ED25519 = 0x01
DASH = "\u2014 "
MAX_SIGNATURES = 100
_NAME = re.compile(r"[^\s+]+")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class NoteError(ValueError):
    """A note, key or signature that is malformed, or a signature that does not verify."""


def key_id(name: str, kind: int, public: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()
    return int.from_bytes(digest[:4], "big")


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise NoteError(f"a key name must be non-empty, without spaces or '+': {name!r}")
    return name


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: int
    signature: bytes  # after the key id: for Ed25519, the 64-byte signature

    def line(self) -> str:
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{DASH}{self.name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...] = ()

    def __str__(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    def with_signatures(self, *more: Signature) -> Note:
        return Note(self.text, self.signatures + more)


def parse_note(message: str) -> Note:
    """Split a signed note into its text and signature lines (nothing is verified here)."""
    if _CONTROL.search(message):
        raise NoteError("a note holds no control characters other than newline")
    if not message.endswith("\n"):
        raise NoteError("a note ends with a newline")
    text, blank, lines = message[:-1].rpartition("\n\n")
    if not blank:
        raise NoteError("a note has a blank line between its text and its signatures")
    signatures = tuple(_parse_signature(line) for line in lines.split("\n"))
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"more than {MAX_SIGNATURES} signatures")
    return Note(text + "\n", signatures)


def _parse_signature(line: str) -> Signature:
    if not line.startswith(DASH):
        raise NoteError(f"not a signature line: {line[:80]!r}")
    name, _, encoded = line[len(DASH) :].partition(" ")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise NoteError(f"the signature of {name!r} is not base64") from error
    if len(blob) < 5 or base64.b64encode(blob).decode() != encoded:
        raise NoteError(f"the signature of {name!r} is malformed")
    return Signature(check_name(name), int.from_bytes(blob[:4], "big"), blob[4:])


def check_text(text: str) -> str:
    if not text.endswith("\n") or _CONTROL.search(text) or "\n\n" in text or text == "\n":
        raise NoteError("a note text is non-empty lines, each ending in a newline")
    return text
