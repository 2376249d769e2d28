"""Files that hold the ledger's history or its keys are readable by their owner only.

Under the usual umask of 022 a new file is readable by every local user: the SQLite database,
an export or a signing key would be. Each is created with mode 0600 whatever the umask (the
umask can only take bits away, and a file written over may have had more).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

PRIVATE = 0o600


def open_private(path: Path, *, exclusive: bool = False) -> int:
    """A descriptor to write `path` from its start, which now has mode 0600.
    `exclusive`: fail with FileExistsError rather than write over an existing file."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    descriptor = os.open(path, flags, PRIVATE)
    try:
        os.fchmod(descriptor, PRIVATE)
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


def create_private(path: Path) -> None:
    """An empty file with mode 0600 unless `path` exists. SQLite takes an empty file for a new
    database, and gives its -wal and -shm files the database file's mode."""
    with contextlib.suppress(FileExistsError):
        os.close(open_private(path, exclusive=True))


def create_secret(path: Path, secret: bytes) -> bool:
    """Write a secret file readable by its owner only, unless one is there already: False
    then, and the caller reads the one a concurrent first start wrote."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    with os.fdopen(open_private(temporary, exclusive=True), "wb") as file:
        file.write(secret + b"\n")
    try:
        os.link(temporary, path)  # atomic: fails if another process got there first
    except FileExistsError:
        return False
    finally:
        temporary.unlink()
    return True
