"""Reads of gifts: one gift, and how many gift notes an account's keys open (for erasure)."""

from __future__ import annotations

from typing import Any

from ledger.sealing import PREFIX as SEALED_PREFIX
from projections.store import ViewStore

Row = dict[str, Any]

_GIFT = (
    "SELECT id, status, from_account, to_account, organisation, minutes, day, note,"
    " recorded_at, recorded_by_key, position FROM {gifts} WHERE id = ?"
)


def gift(view: ViewStore, gift_id: str) -> Row | None:
    """The gift as `GET /v1/gifts/{id}` answers it; its note still sealed, as stored."""
    rows = view.read(_GIFT, (gift_id,))
    if not rows:
        return None
    row = rows[0]
    return {
        "id": row["id"],
        "status": row["status"],
        "from": row.pop("from_account"),
        "to": row.pop("to_account"),
        **{k: row[k] for k in ("organisation", "minutes", "day", "note", "recorded_at")},
        "recorded_by_key": row["recorded_by_key"],
        "position": int(row["position"]),
    }


def sealed_gift_notes(view: ViewStore, account_id: str, key_ids: set[str]) -> int:
    """The account's gifts whose note is sealed under one of its keys `key_ids`: the
    envelope names the giver's key, then the recipient's (ledger/sealing.py)."""
    rows = view.read(
        "SELECT from_account, note FROM {gifts}"
        " WHERE (from_account = ? OR to_account = ?) AND note LIKE ?",
        (account_id, account_id, f"{SEALED_PREFIX}%"),
    )
    own = [str(r["note"]).split(".")[1 if r["from_account"] == account_id else 2] for r in rows]
    return sum(1 for key_id in own if key_id in key_ids)
