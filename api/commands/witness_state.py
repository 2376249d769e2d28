"""A witness's files: its state, replaced atomically under a lock, and evidence it keeps.

The state is written to a temporary file beside it, flushed to disk, renamed over the old
one and the directory flushed: a crash leaves either the old state or the new, never half
of one. A lock file stops two runs (an overlapping cron job, `sync` beside `serve`) from
interleaving their check and their write.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ledger.files import open_private
from ledger.ports import utc_now
from projections.tlog.checkpoint import parse_checkpoint
from projections.tlog.note import NoteError, parse_note
from projections.tlog.witness import WitnessState


class StateError(RuntimeError):
    """The state file cannot be read or written."""


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    descriptor = open_private_append(path.with_name(path.name + ".lock"))
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def open_private_append(path: Path) -> int:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.fchmod(descriptor, 0o600)
    return descriptor


def read_state(path: Path) -> WitnessState | None:
    if not path.exists():
        return None
    try:
        return WitnessState.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StateError(f"cannot read the witness state {path}: {error}") from error


def write_state(path: Path, state: WitnessState) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = open_private(temporary)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(state.to_json())
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def root_of_note(note: str) -> str:
    try:
        checkpoint = parse_checkpoint(parse_note(note).text)
    except NoteError:
        return "(unreadable)"
    return f"size {checkpoint.size}, root {base64.b64encode(checkpoint.root).decode()}"


def keep_evidence(state_path: Path, kept: str, offered: str, reason: str) -> list[Path]:
    """Both notes, and a report naming both roots, in `<state>.evidence/`."""
    folder = state_path.with_name(state_path.name + ".evidence")
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = utc_now().strftime("%Y%m%dT%H%M%S.%fZ")
    report = (
        f"The witness refused to cosign: {reason}\n"
        f"kept (cosigned before): {root_of_note(kept) if kept else '(none)'}\n"
        f"offered by the log:     {root_of_note(offered)}\n"
        "Both notes are signed by the log: together they show it served two histories.\n"
    )
    files = {"kept.note": kept, "offered.note": offered, "report.txt": report}
    paths = []
    for name, text in files.items():
        path = folder / f"{stamp}-{name}"
        with os.fdopen(open_private(path, exclusive=True), "w", encoding="utf-8") as file:
            file.write(text)
        paths.append(path)
    return paths
