"""Export files: one audit event per line (JSON), read and written in constant memory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ledger.files import open_private
from projections.audit_signing import checkpoint_problem
from projections.audit_verify import ChainBroken, Entry, Mark

Progress = Callable[[int], None]


def _ignore(_: int) -> None:
    pass


def read_export(path: Path, progress: Progress = _ignore) -> Iterator[Entry]:
    """The file's events in file order; `progress` hears how many bytes were read."""
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            progress(len(line))
            if line.strip():
                yield _entry(line, number)


def _entry(line: bytes, number: int) -> Entry:
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise ChainBroken(None, f"line {number} is not JSON: {error}") from error
    position = item.get("position") if isinstance(item, dict) else None
    if not isinstance(position, int) or isinstance(position, bool):
        raise ChainBroken(None, f"line {number} is not an audit event with a position")
    claimed = item.pop("hash", None)
    return Entry(position, item, claimed if isinstance(claimed, str) else None)


def write_export(events: Iterable[dict[str, Any]], out: BinaryIO, progress: Progress) -> int:
    """Write events as JSON lines; return how many. The bytes on a line need not be
    canonical: the verifier canonicalises what it parses."""
    count = 0
    for event in events:
        out.write(orjson.dumps(event) + b"\n")
        count += 1
        progress(int(event["position"]))
    return count


def export_to(path: Path, events: Iterable[dict[str, Any]], progress: Progress) -> int:
    """Write to a temporary file and rename: an interrupted export leaves no half file.
    The file is its owner's only (0600): it holds every event of every organisation."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with os.fdopen(open_private(partial), "wb") as out:
            count = write_export(events, out, progress)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count


Expected = str | Callable[[int], str] | None


def _signer(expected: Expected, checkpoint: dict[str, Any]) -> str | None:
    """The key that must have signed the checkpoint: pinned, or in force at its position."""
    if callable(expected):
        return expected(int(checkpoint.get("position", 0)))
    return expected


def load_checkpoint(path: Path, expected_key: Expected) -> Mark:
    """A checkpoint the auditor kept, its signature checked before anything else."""
    try:
        checkpoint = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise ChainBroken(None, f"{path} is not a checkpoint (not JSON): {error}") from error
    if not isinstance(checkpoint, dict):
        raise ChainBroken(None, f"{path} is not a checkpoint")
    problem = checkpoint_problem(checkpoint, _signer(expected_key, checkpoint))
    if problem is not None:
        raise ChainBroken(None, f"{problem} ({path})")
    return Mark(int(checkpoint["position"]), str(checkpoint["hash"]), "kept checkpoint")


def stored_checkpoints(checkpoints: Iterable[dict[str, Any]], expected: Expected) -> Iterator[Mark]:
    """The database's checkpoints as marks, each signature checked as it is reached."""
    for checkpoint in checkpoints:
        problem = checkpoint_problem(checkpoint, _signer(expected, checkpoint))
        if problem is not None:
            raise ChainBroken(
                None, f"stored checkpoint at position {checkpoint['position']}: {problem}"
            )
        yield Mark(int(checkpoint["position"]), str(checkpoint["hash"]), "stored checkpoint")
