"""Signed checkpoints of the audit chain, every N events or T seconds.

A checkpoint is made once `every` chained events lie beyond the last one, and at the latest
`seconds` after the first event that no checkpoint covers yet. Checkpoints are not a
projection: their `created_at` and signature are facts of the moment they were made, so a
rebuild of the chain keeps them, and a rebuilt chain that differs from them shows tampering.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.ports import utc_now
from projections.audit_chain import AuditChain
from projections.audit_key_store import (
    KeyRotated,
    announced_key,
    check_in_force,
    create_key_history_table,
)
from projections.audit_signing import (
    CHECKPOINT_FIELDS,
    load_signing_key,
    public_key_text,
    sign_checkpoint,
)
from projections.store import ViewStore
from projections.tlog_checkpoints import NoteCheckpointer

log = logging.getLogger(__name__)
EVERY_VAR = "TIMEBANK_CHECKPOINT_EVERY"
SECONDS_VAR = "TIMEBANK_CHECKPOINT_SECONDS"
CHECKPOINTS = "audit_checkpoints"
CHECKPOINT_TABLE = (
    "CREATE TABLE IF NOT EXISTS {audit_checkpoints} ("
    " position BIGINT PRIMARY KEY, hash TEXT NOT NULL, created_at TEXT NOT NULL,"
    " signature TEXT NOT NULL, public_key TEXT NOT NULL)"
)


def create_tables(view: ViewStore) -> None:
    """The chain's table, the projection's way, and the checkpoints' table beside it. Only
    when missing: DDL would lock the tables against a runner in another process."""
    AuditChain(view)
    create_key_history_table(view)
    view.ensure_kept_table(CHECKPOINTS, CHECKPOINT_TABLE)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class CheckpointPolicy:
    every: int = 1000
    seconds: float = 10.0

    @classmethod
    def from_env(cls) -> CheckpointPolicy:
        every = int(os.environ.get(EVERY_VAR) or cls.every)
        seconds = float(os.environ.get(SECONDS_VAR) or cls.seconds)
        if every < 1 or seconds <= 0:
            raise ValueError(f"{EVERY_VAR} must be >= 1 and {SECONDS_VAR} > 0")
        return cls(every, seconds)


class Checkpointer:
    def __init__(
        self,
        view: ViewStore,
        key: Ed25519PrivateKey,
        policy: CheckpointPolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
        reload: Callable[[], Ed25519PrivateKey | None] = lambda: load_signing_key(create=False),
    ) -> None:
        """`reload`: where to find the new key once a rotation announced it (the key file)."""
        self.view = view
        self.key = key
        self.reload = reload
        self.policy = policy or CheckpointPolicy.from_env()
        self.clock = clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        create_tables(view)
        self.notes = NoteCheckpointer(view, key)  # the tree's, signed with the same key

    def tick(self) -> list[dict[str, Any]]:
        """Make the checkpoints that are due now; return them, oldest first."""
        made: list[dict[str, Any]] = []
        if not self._key_in_force():
            return made
        try:
            while (row := self._uncovered(offset=self.policy.every - 1)) is not None:
                made.append(self._make(row))
            first = self._uncovered(offset=0)
            if first is not None and self._waited(first) >= self.policy.seconds:
                made.append(self._make(self._head()))
            self.notes.tick(iso_utc(self.clock()))
        except KeyRotated:
            pass  # rotated while ticking: the next tick takes the new key
        return made

    def _key_in_force(self) -> bool:
        """After a rotation, sign with the key it announced, once the key file holds it."""
        announced = announced_key(self.view)
        if announced is None or announced == public_key_text(self.key):
            return True
        fresh = self.reload()
        if fresh is None or public_key_text(fresh) != announced:
            log.error(
                "the key history announces signing key %s, but the key file holds another:"
                " no checkpoint is signed until it holds the announced key",
                announced,
            )
            return False
        log.info("signing checkpoints with the new key %s from now on", announced)
        self.key = fresh
        self.notes.use(fresh)
        return True

    def _covered(self) -> int:
        rows = self.view.read("SELECT MAX(position) AS position FROM {audit_checkpoints}")
        return int(rows[0]["position"] or 0)

    def _uncovered(self, offset: int) -> dict[str, Any] | None:
        rows = self.view.read(
            "SELECT position, hash, recorded_at FROM {audit_chain} WHERE position > ?"
            " ORDER BY position LIMIT 1 OFFSET ?",
            (self._covered(), offset),
        )
        return rows[0] if rows else None

    def _head(self) -> dict[str, Any]:
        rows = self.view.read(
            "SELECT position, hash FROM {audit_chain} ORDER BY position DESC LIMIT 1"
        )
        return rows[0]

    def _waited(self, row: dict[str, Any]) -> float:
        recorded_at = datetime.fromisoformat(str(row["recorded_at"]))
        return (self.clock() - recorded_at) / timedelta(seconds=1)

    def _make(self, row: dict[str, Any]) -> dict[str, Any]:
        checkpoint = sign_checkpoint(
            self.key, int(row["position"]), str(row["hash"]), iso_utc(self.clock())
        )
        with self.view.transaction() as cursor:
            check_in_force(self.view, cursor, self.key)
            # Two processes may decide on the same position at once; the first one stands.
            cursor.execute(
                "INSERT INTO {audit_checkpoints}"
                " (position, hash, created_at, signature, public_key) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (position) DO NOTHING",
                [checkpoint[field] for field in CHECKPOINT_FIELDS],
            )
        return checkpoint

    def start(self) -> None:
        """Tick in a background thread until `stop()`."""
        interval = min(1.0, self.policy.seconds / 4)
        self._thread = threading.Thread(
            target=self._run, args=(interval,), name="audit-checkpoints", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, interval: float) -> None:
        while not self._stopping.wait(interval):
            try:
                self.tick()
            except Exception:  # keep ticking; the next tick retries
                log.exception("making an audit checkpoint failed; retrying")


def start_checkpointing(view: ViewStore) -> Checkpointer:
    """What a projection worker runs beside the chain: key and policy from the environment
    (`TIMEBANK_SIGNING_KEY`, `TIMEBANK_CHECKPOINT_EVERY`, `TIMEBANK_CHECKPOINT_SECONDS`)."""
    key = load_signing_key()
    assert key is not None  # made on a first start
    checkpointer = Checkpointer(view, key, CheckpointPolicy.from_env())
    checkpointer.start()
    return checkpointer
