"""Webhook endpoints and their delivery state: mutable tables beside the read models.

Registrations are configuration, not facts of the ledger: a URL can be replaced, a secret
must be deletable, and neither belongs in an export or an audit chain, so they are rows, not
events, and a replay leaves them alone. Each endpoint's row holds its cursor in the change
feed with the state of the delivery in hand (attempts, next attempt, consecutive failures);
one transaction moves them together with the delivery's log row, so a crash can repeat a
delivery but never skip one. Secrets are stored sealed (projections/webhooks/sealing.py).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.ports import wall_seconds
from projections.store import Row, ViewStore

TABLES = (
    "CREATE TABLE IF NOT EXISTS {webhooks} (id TEXT PRIMARY KEY, organisation TEXT NOT NULL,"
    " url TEXT NOT NULL, types TEXT, sealed_secret TEXT NOT NULL, created_at DOUBLE PRECISION"
    " NOT NULL, enabled SMALLINT NOT NULL, cursor BIGINT NOT NULL, attempts INTEGER NOT NULL,"
    " failures INTEGER NOT NULL, next_attempt_at DOUBLE PRECISION NOT NULL, last_error TEXT)",
    "CREATE INDEX IF NOT EXISTS webhooks_by_organisation ON {webhooks} (organisation, id)",
    "CREATE TABLE IF NOT EXISTS {webhook_deliveries} (webhook_id TEXT NOT NULL,"
    " position BIGINT NOT NULL, attempt INTEGER NOT NULL, message_id TEXT NOT NULL,"
    " attempted_at DOUBLE PRECISION NOT NULL, delivered SMALLINT NOT NULL,"
    " http_status INTEGER, error TEXT, PRIMARY KEY (webhook_id, position, attempt))",
)
_COLUMNS = (
    "id, organisation, url, types, sealed_secret, created_at, enabled, cursor, attempts,"
    " failures, next_attempt_at, last_error"
)
_SELECT = f"SELECT {_COLUMNS} FROM {{webhooks}}"  # noqa: S608 (constants)
_LOG = (
    "INSERT INTO {webhook_deliveries} (webhook_id, position, attempt, message_id,"
    " attempted_at, delivered, http_status, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (webhook_id, position, attempt) DO NOTHING"
)


@dataclass(frozen=True)
class Attempt:
    """What one delivery attempt of one change came to."""

    position: int
    message_id: str
    delivered: bool
    http_status: int | None = None
    error: str | None = None


class WebhookTable:
    def __init__(self, view: ViewStore) -> None:
        self.view = view
        with view.transaction() as cursor:
            view.serialise_ddl(cursor, "webhooks")
            for statement in TABLES:
                cursor.execute(statement)

    def add(self, organisation: str, url: str, types: Sequence[str] | None, sealed: Any) -> Row:
        """A new endpoint, following the feed from its present end. `sealed(id)` seals the
        secret for the endpoint's id."""
        webhook_id = f"wh_{secrets.token_hex(8)}"
        now = wall_seconds()
        with self.view.writing() as cursor:
            head = self.view.position_of(cursor, "ledger_views")
            cursor.execute(
                f"INSERT INTO {{webhooks}} ({_COLUMNS})"  # noqa: S608 (constants)
                " VALUES (?, ?, ?, ?, ?, ?, 1, ?, 0, 0, ?, NULL)",
                [
                    webhook_id,
                    organisation,
                    url,
                    _types_text(types),
                    sealed(webhook_id),
                    now,
                    head,
                    now,
                ],
            )
        return self.get(organisation, webhook_id) or {}

    def get(self, organisation: str, webhook_id: str) -> Row | None:
        rows = self.view.read(
            f"{_SELECT} WHERE id = ? AND organisation = ?", (webhook_id, organisation)
        )
        return _shaped(rows[0]) if rows else None

    def of(self, organisation: str) -> list[Row]:
        rows = self.view.read(f"{_SELECT} WHERE organisation = ? ORDER BY id", (organisation,))
        return [_shaped(r) for r in rows]

    def due(self, now: float) -> list[Row]:
        """Enabled endpoints whose next attempt is due (there are few endpoints)."""
        rows = self.view.read(f"{_SELECT} WHERE enabled = 1 AND next_attempt_at <= ?", (now,))
        return [_shaped(r) for r in rows]

    def delete(self, organisation: str, webhook_id: str) -> bool:
        with self.view.writing() as cursor:
            cursor.execute(
                "DELETE FROM {webhooks} WHERE id = ? AND organisation = ?",
                (webhook_id, organisation),
            )
            gone = cursor.rowcount == 1
            if gone:
                cursor.execute(
                    "DELETE FROM {webhook_deliveries} WHERE webhook_id = ?", (webhook_id,)
                )
        return gone

    def enable(self, organisation: str, webhook_id: str) -> bool:
        """Back on after being disabled: the change it stopped at is tried again at once.
        Its attempts go on being counted, so the new ones are logged beside the old."""
        with self.view.writing() as cursor:
            cursor.execute(
                "UPDATE {webhooks} SET enabled = 1, failures = 0,"
                " next_attempt_at = ? WHERE id = ? AND organisation = ?",
                (wall_seconds(), webhook_id, organisation),
            )
            return cursor.rowcount == 1

    def skip_to(self, endpoint: Row, position: int) -> None:
        """Past changes of types the endpoint did not ask for (compare-and-set on the cursor)."""
        with self.view.writing() as cursor:
            cursor.execute(
                "UPDATE {webhooks} SET cursor = ? WHERE id = ? AND cursor = ?",
                (position, endpoint["id"], endpoint["cursor"]),
            )

    def record(self, endpoint: Row, attempt: Attempt, pause: float, disable_after: int) -> None:
        """The attempt's outcome, the cursor and the next attempt, in one transaction."""
        now = wall_seconds()
        number = endpoint["attempts"] + 1
        with self.view.writing() as cursor:
            if attempt.delivered:
                cursor.execute(
                    "UPDATE {webhooks} SET cursor = ?, attempts = 0, failures = 0,"
                    " next_attempt_at = ?, last_error = NULL WHERE id = ? AND cursor = ?",
                    (attempt.position, now, endpoint["id"], endpoint["cursor"]),
                )
            else:
                failures = endpoint["failures"] + 1
                cursor.execute(
                    "UPDATE {webhooks} SET attempts = ?, failures = ?, next_attempt_at = ?,"
                    " enabled = ?, last_error = ? WHERE id = ? AND cursor = ?",
                    [
                        number,
                        failures,
                        now + pause,
                        int(failures < disable_after),
                        attempt.error,
                        endpoint["id"],
                        endpoint["cursor"],
                    ],
                )
            if cursor.rowcount == 1:
                cursor.execute(
                    _LOG,
                    [
                        endpoint["id"],
                        attempt.position,
                        number,
                        attempt.message_id,
                        now,
                        int(attempt.delivered),
                        attempt.http_status,
                        attempt.error,
                    ],
                )

    def last_delivered(self, webhook_id: str) -> Row | None:
        """The latest change the endpoint acknowledged (`position`, `attempted_at`): the end
        of its log, where only the failures since stand after it."""
        rows = self.view.read(
            "SELECT position, attempted_at FROM {webhook_deliveries}"
            " WHERE webhook_id = ? AND delivered = 1 ORDER BY position DESC LIMIT 1",
            (webhook_id,),
        )
        return rows[0] if rows else None

    def deliveries(self, webhook_id: str, limit: int = 100) -> list[Row]:
        """The latest attempts, newest first."""
        rows = self.view.read(
            "SELECT position, attempt, message_id, attempted_at, delivered, http_status, error"
            " FROM {webhook_deliveries} WHERE webhook_id = ?"
            " ORDER BY position DESC, attempt DESC LIMIT ?",
            (webhook_id, limit),
        )
        return [{**r, "delivered": bool(r["delivered"])} for r in rows]


def _types_text(types: Sequence[str] | None) -> str | None:
    return None if types is None else json.dumps(sorted(set(types)))


def _shaped(row: Row) -> Row:
    types = row["types"]
    return {
        **row,
        "types": None if types is None else json.loads(types),
        "enabled": bool(row["enabled"]),
    }
