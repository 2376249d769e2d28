"""Exchanges as they stand: status, parties, who is awaited and until when.

Indexes serve each filter of the exchanges list oldest first, one page at a time: by party
(giver, receiver), by a party's organisation, by the recording key, by status; a partial
index holds only the pending ones, by the organisation they await.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from projections.columns import EXCHANGE_COLUMNS
from projections.lookups import Write
from projections.moves import EXCHANGE_TYPES, PreparedPage

TABLES = (
    "CREATE TABLE IF NOT EXISTS {exchanges} (id TEXT PRIMARY KEY, position BIGINT NOT NULL,"
    " status TEXT NOT NULL, giver TEXT NOT NULL, receiver TEXT NOT NULL,"
    " giver_org TEXT NOT NULL, receiver_org TEXT NOT NULL, minutes BIGINT NOT NULL,"
    " service_date TEXT NOT NULL, category TEXT, note TEXT, recorded_at TEXT NOT NULL,"
    " recorded_by TEXT NOT NULL, recorded_by_key TEXT, awaiting TEXT, expires_on TEXT,"
    " updated_position BIGINT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS exchanges_by_position ON {exchanges} (position)",
    "CREATE INDEX IF NOT EXISTS exchanges_by_giver ON {exchanges} (giver, position)",
    "CREATE INDEX IF NOT EXISTS exchanges_by_receiver ON {exchanges} (receiver, position)",
    "CREATE INDEX IF NOT EXISTS exchanges_by_giver_org ON {exchanges} (giver_org, position)",
    # Only exchanges across organisations: with those by giver_org, every exchange with a
    # party in an organisation, each once, without wading through its inside ones twice.
    "CREATE INDEX IF NOT EXISTS exchanges_into_org ON {exchanges} (receiver_org, position)"
    " WHERE giver_org <> receiver_org",
    "CREATE INDEX IF NOT EXISTS exchanges_by_key ON {exchanges} (recorded_by_key, position)",
    "CREATE INDEX IF NOT EXISTS exchanges_by_status ON {exchanges} (status, position)",
    "CREATE INDEX IF NOT EXISTS exchanges_pending ON {exchanges} (awaiting, position)"
    " WHERE status = 'pending'",
)
DROPS = ("exchanges",)
TYPES = EXCHANGE_TYPES

_FIELDS = tuple(c.strip() for c in EXCHANGE_COLUMNS.split(","))
_values = itemgetter(*_FIELDS)
_INSERT = (
    f"INSERT INTO {{exchanges}} ({EXCHANGE_COLUMNS})"  # noqa: S608
    f" VALUES ({', '.join('?' * len(_FIELDS))})"
)
_UPSERT = (
    f"{_INSERT} ON CONFLICT (id) DO UPDATE SET status = excluded.status,"
    " updated_position = excluded.updated_position"
)


def prepare(page: PreparedPage) -> list[Write]:
    """New exchanges go straight in (on Postgres, a plain COPY); changed ones are upserted."""
    new: list[tuple[Any, ...]] = []
    changed: list[tuple[Any, ...]] = []
    for exchange_id, row in page.exchanges.items():
        (new if exchange_id in page.recorded else changed).append(_values(row))
    return [(_INSERT, new), (_UPSERT, changed)]
