"""C2SP tlog-checkpoint bodies: origin, tree size, base64 root hash, extension lines."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from projections.tlog.merkle import HASH_SIZE
from projections.tlog.note import NoteError

_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint a note's text states (its signatures are checked elsewhere)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not all(lines[:-1]):
        raise NoteError("a checkpoint is an origin, a size and a root hash, one per line")
    origin, size, root = lines[:3]
    if not _SIZE.fullmatch(size):
        raise NoteError(f"the checkpoint's tree size is not a decimal number: {size!r}")
    try:
        digest = base64.b64decode(root, validate=True)
    except binascii.Error as error:
        raise NoteError("the checkpoint's root hash is not base64") from error
    if len(digest) != HASH_SIZE:
        raise NoteError(f"the checkpoint's root hash is not {HASH_SIZE} bytes")
    return Checkpoint(origin, int(size), digest, tuple(lines[3:-1]))
