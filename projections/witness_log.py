"""Cosignatures of the log's checkpoints, the policy they are judged by, and the quorum.

The ledger keeps a cosignature only after verifying it against a witness key registered
through an event (`projections.witness_keys`), over a checkpoint this log signed; anything
else is refused as `invalid_cosignature`. Cosignatures are evidence about checkpoints, not
facts of the ledger: they live in a table beside the notes, never dropped by a rebuild, one
per (size, witness key), the latest time kept. The policy is derived, never stored: the
log's keys, a `witness` line per key in force, a group per organisation (`any` of its keys)
and a group of the organisations with threshold `TIMEBANK_WITNESS_QUORUM` (default: a
majority of the organisations that have keys).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from domain.errors import LedgerError
from projections.audit_key_store import key_history
from projections.audit_keys import note_key
from projections.store import ViewStore
from projections.tlog.checkpoint import parse_checkpoint
from projections.tlog.cosignature import cosigned_at, parse_cosigner_key
from projections.tlog.keys import VerifierKey, parse_verifier_key
from projections.tlog.note import Note, NoteError, Signature, parse_note
from projections.tlog.policy import NONE, Group, Policy, Witness
from projections.tlog_log import LogNotFound, TransparencyLog
from projections.witness_keys import WitnessKeyReads

Row = dict[str, Any]
QUORUM_VAR = "TIMEBANK_WITNESS_QUORUM"
ORGANISATIONS = "organisations"
COSIGNATURES = "tlog_cosignatures"
COSIGNATURE_TABLE = (
    "CREATE TABLE IF NOT EXISTS {tlog_cosignatures} (size BIGINT NOT NULL,"
    " witness_key TEXT NOT NULL, timestamp BIGINT NOT NULL, line TEXT NOT NULL,"
    " received_at TEXT NOT NULL, PRIMARY KEY (size, witness_key))"
)
_KEEP = (
    "INSERT INTO {tlog_cosignatures} (size, witness_key, timestamp, line, received_at)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (size, witness_key) DO UPDATE SET"
    " timestamp = excluded.timestamp, line = excluded.line, received_at = excluded.received_at"
    " WHERE excluded.timestamp > {tlog_cosignatures}.timestamp"
)
SEARCHED_SIZES = 1000


class InvalidCosignature(LedgerError):
    code = "invalid_cosignature"


def witness_name(key_id: str) -> str:
    return f"witness:{key_id}"


def quorum_of(organisations: int) -> int:
    """`TIMEBANK_WITNESS_QUORUM`, at most the organisations there are; else a majority."""
    configured = os.environ.get(QUORUM_VAR)
    wanted = int(configured) if configured else organisations // 2 + 1
    if wanted < 1:
        raise ValueError(f"{QUORUM_VAR} must be at least 1")
    return min(wanted, organisations)


def create_cosignature_table(view: ViewStore) -> None:
    view.ensure_kept_table(COSIGNATURES, COSIGNATURE_TABLE)


class WitnessLog:
    def __init__(self, log: TransparencyLog, log_keys: Callable[[], list[str]] | None = None):
        self.log = log
        self.view = log.audit.view
        self.keys = WitnessKeyReads(self.view)
        self.log_keys = log_keys or self._keys_in_force
        create_cosignature_table(self.view)

    def policy(self) -> Policy:
        rows = self.keys.active()
        witnesses = [Witness(witness_name(r["id"]), parse_cosigner_key(r["vkey"])) for r in rows]
        by_org: dict[str, list[str]] = {}
        for row in rows:
            by_org.setdefault(str(row["organisation"]), []).append(witness_name(row["id"]))
        groups = [Group(f"org:{org}", 1, tuple(names)) for org, names in by_org.items()]
        if not groups:
            return Policy(self._log_verifiers(), (), (), NONE)
        members = tuple(g.name for g in groups)
        groups.append(Group(ORGANISATIONS, quorum_of(len(groups)), members))
        return Policy(self._log_verifiers(), tuple(witnesses), tuple(groups), ORGANISATIONS)

    def _keys_in_force(self) -> list[str]:
        """The key of the latest note, then every earlier key of the history, newest first:
        notes they signed before a rotation are still the log's."""
        latest = self.log.log_key()
        origin = parse_verifier_key(latest).name
        older = [s["previous_key"] for s in reversed(key_history(self.view))]
        return [latest, *(str(note_key(origin, key)) for key in older)]

    def _log_verifiers(self) -> tuple[VerifierKey, ...]:
        return tuple(parse_verifier_key(k) for k in dict.fromkeys(self.log_keys()))

    def accept(self, message: str, received_at: str) -> Row:
        """Keep every cosignature of `message` that verifies against a key in force."""
        note = self._our_note(message)
        size = parse_checkpoint(note.text).size
        accepted = []
        for row in self.keys.active():
            key = parse_cosigner_key(str(row["vkey"]))
            for signature in note.signatures:
                timestamp = cosigned_at(key, note.text, signature)
                if timestamp is not None:
                    accepted.append(self._keep(size, row, signature, timestamp, received_at))
        if not accepted:
            raise InvalidCosignature(
                "no line of this note is a valid cosignature of a registered witness key"
            )
        return {"size": size, "cosignatures": accepted}

    def _our_note(self, message: str) -> Note:
        try:
            note = parse_note(message)
            size = parse_checkpoint(note.text).size
        except NoteError as error:
            raise InvalidCosignature(f"not a cosigned checkpoint note: {error}") from error
        stored = self.log.reads.note(size)
        if stored is None or parse_note(str(stored["note"])).text != note.text:
            raise InvalidCosignature(f"this log signed no such checkpoint of size {size}")
        return note

    def _keep(
        self, size: int, row: Row, signature: Signature, timestamp: int, received_at: str
    ) -> Row:
        with self.view.transaction() as cursor:
            cursor.execute(_KEEP, (size, row["id"], timestamp, signature.line(), received_at))
        return {"witness_key": row["id"], "organisation": row["organisation"], "time": timestamp}

    def cosigned(self, size: int | None = None, witnessed: bool = False) -> str:
        """The note at `size` (or the latest, or the latest meeting the quorum) with every
        valid cosignature of a key in force."""
        if witnessed:
            size = self._newest_witnessed()
        row = self.log.note(size)
        lines = self._lines(int(row["size"]))
        return str(row["note"]) + "".join(lines.values())

    def with_cosignatures(self, note: str) -> str:
        """A note of this log with the cosignatures collected for its size."""
        size = parse_checkpoint(parse_note(note).text).size
        return note + "".join(self._lines(size).values())

    def _lines(self, size: int) -> dict[str, str]:
        active = {str(r["id"]) for r in self.keys.active()}
        rows = self.view.read(
            "SELECT witness_key, line FROM {tlog_cosignatures} WHERE size = ? ORDER BY witness_key",
            (size,),
        )
        return {str(r["witness_key"]): str(r["line"]) for r in rows if r["witness_key"] in active}

    def _newest_witnessed(self) -> int:
        policy = self.policy()
        rows = self.view.read(
            "SELECT DISTINCT size FROM {tlog_cosignatures} ORDER BY size DESC LIMIT ?",
            (SEARCHED_SIZES,),
        )
        for row in rows:
            size = int(row["size"])
            if policy.satisfied(witness_name(k) for k in self._lines(size)):
                return size
        raise LogNotFound("no checkpoint carries cosignatures meeting the quorum yet")

    def progress(self) -> list[Row]:
        """Per key in force: the largest size it cosigned, and when (its own time)."""
        rows = self.view.read(
            "SELECT witness_key, MAX(size) AS size, MAX(timestamp) AS time"
            " FROM {tlog_cosignatures} GROUP BY witness_key"
        )
        seen = {str(r["witness_key"]): r for r in rows}
        return [
            {
                **key,
                "size": seen[key["id"]]["size"] if key["id"] in seen else None,
                "time": seen[key["id"]]["time"] if key["id"] in seen else None,
            }
            for key in self.keys.active()
        ]
