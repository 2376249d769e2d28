"""The key history in the database, beside the checkpoints: append-only, never dropped.

Recording a rotation and signing a checkpoint take turns (one advisory lock on Postgres; on
SQLite writers are serialised and a stale read fails its write): a rotation's `after` is
the last checkpoint signed, and from the moment it is recorded no checkpoint is kept unless
it is signed by the key it announced. A worker still holding the old key finds out at its
next checkpoint (`KeyRotated`) and loads the new one.
"""

from __future__ import annotations

from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.audit_keys import KeyHistoryError, rotation_statement
from projections.audit_signing import public_key_text
from projections.cursor import Cursor
from projections.store import ViewStore

KEY_HISTORY = "audit_key_history"
KEY_HISTORY_TABLE = (
    "CREATE TABLE IF NOT EXISTS {audit_key_history} (seq BIGINT PRIMARY KEY,"
    " public_key TEXT NOT NULL UNIQUE, statement TEXT NOT NULL)"
)


class KeyRotated(RuntimeError):
    """The key history announces another key than the one this process signs with."""

    def __init__(self, announced: str) -> None:
        super().__init__(f"the key history announces key {announced}")
        self.announced = announced


class NotYetNoted(RuntimeError):
    """The last checkpoint has no note yet: a rotation waits for it."""


def create_key_history_table(view: ViewStore) -> None:
    view.ensure_kept_table(KEY_HISTORY, KEY_HISTORY_TABLE)


def key_history(view: ViewStore) -> list[dict[str, Any]]:
    """Every rotation statement, oldest first."""
    rows = view.read("SELECT statement FROM {audit_key_history} ORDER BY seq")
    return [orjson.loads(str(row["statement"])) for row in rows]


def announced_key(view: ViewStore) -> str | None:
    """The key the latest rotation announced; None before the first rotation."""
    rows = view.read("SELECT public_key FROM {audit_key_history} ORDER BY seq DESC LIMIT 1")
    return str(rows[0]["public_key"]) if rows else None


def _announced(cursor: Cursor) -> str | None:
    row = cursor.execute(
        "SELECT public_key FROM {audit_key_history} ORDER BY seq DESC LIMIT 1"
    ).one()
    return str(row["public_key"]) if row else None


def check_in_force(view: ViewStore, cursor: Cursor, key: Ed25519PrivateKey) -> None:
    """In the transaction that keeps a checkpoint: `KeyRotated` unless `key` is in force."""
    view.serialise_ddl(cursor, KEY_HISTORY)
    announced = _announced(cursor)
    if announced is not None and announced != public_key_text(key):
        raise KeyRotated(announced)


def record_rotation(
    view: ViewStore, old: Ed25519PrivateKey, new: Ed25519PrivateKey, origin: str, at: str
) -> dict[str, Any]:
    """Announce `new` under `old` after the last checkpoint; the statement recorded."""
    with view.transaction() as cursor:
        view.serialise_ddl(cursor, KEY_HISTORY)
        after = _last_signed(cursor, public_key_text(old))
        statement = rotation_statement(old, new, origin, after, at)
        known = cursor.execute(
            "SELECT COUNT(*) AS n FROM {audit_key_history} WHERE public_key = ?",
            (statement["key"],),
        ).one()
        if statement["key"] == statement["previous_key"] or (known and int(known["n"])):
            raise KeyHistoryError("the new key has been in use before: make a new one")
        cursor.execute(
            "INSERT INTO {audit_key_history} (seq, public_key, statement)"
            " SELECT COALESCE(MAX(seq), 0) + 1, ?, ? FROM {audit_key_history}",
            (statement["key"], orjson.dumps(statement).decode()),
        )
    return statement


def _last_signed(cursor: Cursor, old: str) -> tuple[int, int]:
    """(position, size) of the last checkpoint and its note, both signed by `old`."""
    announced = _announced(cursor)
    last = cursor.execute(
        "SELECT position, public_key FROM {audit_checkpoints} ORDER BY position DESC LIMIT 1"
    ).one()
    signer = announced or (str(last["public_key"]) if last else old)
    if signer != old:
        raise KeyHistoryError(
            f"the configured signing key ({old}) is not the key in force ({signer})"
        )
    if last is None:
        return 0, 0
    note = cursor.execute(
        "SELECT size FROM {tlog_checkpoints} WHERE position = ?", (last["position"],)
    ).one()
    if note is None:
        raise NotYetNoted(f"the checkpoint at position {last['position']} has no note yet")
    return int(last["position"]), int(note["size"])
