"""The audit chain: every event's hash commits to the whole history before it.

`hash_n = sha256(bytes.fromhex(hash_{n-1}) + canonical(event_n)).hexdigest()`, with
`hash_0` = 64 zeros. `canonical` is JCS (RFC 8785); for the ledger's data (ASCII keys,
integers, strings, booleans, nulls; no floats) Python's sorted, compact `json.dumps` gives
exactly the JCS bytes, so anyone can recompute the chain in a few lines of any language.
The functions here are pure: the offline verifier uses them with no database at all.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

import orjson
from eventsourcing.persistence import ApplicationRecorder

from projections.base import LedgerProjection
from projections.events import LogEvent, audit_row
from projections.log_rows import stored_rows
from projections.overlap import Commit, commit_behind
from projections.store import Cursor

GENESIS = "0" * 64
AUDIT_FIELDS = ("position", "id", "stream", "version", "type", "recorded_at", "data")


def canonical(obj: Any) -> bytes:
    """JCS bytes of a JSON value (sorted keys, no whitespace, UTF-8, no ASCII escaping).

    orjson gives the same bytes as the reference below fourteen times faster (a property test
    holds them equal); integers beyond 64 bits, which orjson refuses, take the reference path.
    """
    try:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return reference_canonical(obj)


def reference_canonical(obj: Any) -> bytes:
    """The canonical form as documented for auditors: Python's sorted, compact json.dumps."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(previous: str, event: dict[str, Any]) -> str:
    """The hash of one audit event (its `hash` field, if present, is left out)."""
    body = {key: value for key, value in event.items() if key != "hash"}
    return hashlib.sha256(bytes.fromhex(previous) + canonical(body)).hexdigest()


class AuditChain(LedgerProjection):
    """Stores each event's chain hash by position, a page of events per statement.

    The chain is deterministic, so a rebuild from position 0 reproduces it exactly; the
    signed checkpoints are evidence and live in a table of their own that a rebuild keeps.
    `recorded_at` is kept beside the hash so the checkpointer can tell how long an event
    has waited for a checkpoint without reading the event log.
    """

    name = "audit_chain"
    tables: ClassVar[Sequence[str]] = (
        "CREATE TABLE IF NOT EXISTS {audit_chain} ("
        " position BIGINT PRIMARY KEY, hash TEXT NOT NULL, recorded_at TEXT NOT NULL)",
    )
    drops: ClassVar[Sequence[str]] = ("audit_chain",)

    def apply(self, cursor: Cursor, events: Sequence[LogEvent]) -> None:
        _, rows = _chained(bytes.fromhex(head_hash(cursor)), [e.as_audit() for e in events])
        cursor.executemany(_INSERT, rows)

    def commit(self, rows: Sequence[tuple[int, str, str]], previous: int, last: int) -> None:
        """Write hashes worked out beforehand, with the new position, atomically."""
        with self.view.transaction() as cursor:
            self.view.advance(cursor, self.name, previous, last)
            cursor.executemany(_INSERT, rows)
        self.view.notify_advanced()


_INSERT = "INSERT INTO {audit_chain} (position, hash, recorded_at) VALUES (?, ?, ?)"
Chained = list[tuple[int, str, str]]  # position, hash, recorded_at: the table's rows


def _chained(digest: bytes, events: Iterable[dict[str, Any]]) -> tuple[bytes, Chained]:
    """The chain's rows for audit events that follow the hash `digest`, and the last hash."""
    rows = []
    sha256 = hashlib.sha256
    for event in events:
        digest = sha256(digest + canonical(event)).digest()
        rows.append((event["position"], digest.hex(), event["recorded_at"]))
    return digest, rows


def head_hash(cursor: Cursor) -> str:
    """The hash of the last chained event, or `GENESIS` before the first."""
    row = cursor.execute("SELECT hash FROM {audit_chain} ORDER BY position DESC LIMIT 1").one()
    return str(row["hash"]) if row else GENESIS


def catch_up_chain(recorder: ApplicationRecorder, chain: AuditChain, size: int) -> int:
    """`Runner.catch_up` for a long log: hash page N+1 while page N commits.

    The hashes come straight from the stored rows (no `LogEvent`s), and the head hash passes
    from page to page in memory rather than through a query. Each page still commits with
    its position by compare-and-set, so another runner moving it fails the rebuild.
    """
    return commit_behind(chain.name, _pages(recorder, chain, size))


def _pages(
    recorder: ApplicationRecorder, chain: AuditChain, size: int
) -> Iterator[tuple[Commit, int]]:
    with chain.view.transaction() as cursor:
        previous = chain.view.position_of(cursor, chain.name)
        digest = bytes.fromhex(head_hash(cursor))
    while stored := stored_rows(recorder, previous, size):
        digest, rows = _chained(digest, map(audit_row, stored))
        yield functools.partial(chain.commit, rows, previous, stored[-1][0]), len(stored)
        previous = stored[-1][0]
