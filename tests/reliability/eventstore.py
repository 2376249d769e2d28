"""The event log read straight from Postgres, and the plain folds the checks compare with.

Read with SQL, not through the application: what is proven here must not rest on the code
under test agreeing with itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg

from tests.reliability.support import ROOT, inherited

MOVES = {  # account event -> (balance sign, which figure, which way)
    "Earned": (1, "given", 1),
    "Spent": (-1, "received", 1),
    "EarningReversed": (-1, "given", -1),
    "SpendingReversed": (1, "received", -1),
}


@dataclass(frozen=True)
class Event:
    position: int
    stream: str
    version: int
    name: str  # "Exchange.Recorded"
    data: dict[str, Any]


@dataclass
class Accounts:
    balance: Counter[str] = field(default_factory=Counter)
    given: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    moves: Counter[str] = field(default_factory=Counter)  # statement entries


def _table(database_url: str) -> tuple[str, str]:
    """A plain URL for psycopg, and the events table of the URL's schema."""
    schema = parse_qs(urlparse(database_url).query)["schema"][0]
    return database_url.split("?")[0], f'"{schema}".ledger_events'


def events(database_url: str) -> list[Event]:
    url, table = _table(database_url)
    with psycopg.connect(url, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            f" FROM {table} ORDER BY notification_id"
        ).fetchall()
    return [
        Event(row[0], row[1], row[2], row[3].rpartition(":")[2], json.loads(bytes(row[4])))
        for row in rows
    ]


def count(database_url: str) -> tuple[int, int]:
    """How many events the log holds, and the last position (a refused request must leave
    both unchanged)."""
    url, table = _table(database_url)
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(
            f"SELECT count(*), coalesce(max(notification_id), 0) FROM {table}"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def exchanges_recorded(log: list[Event], org: str) -> Counter[str]:
    """Exchange id -> how many Recorded events it has (must be 1 each), of those `org` recorded."""
    return Counter(
        e.stream.removeprefix("exchange:")
        for e in log
        if e.name == "Exchange.Recorded" and e.data["recorded_by"] == org
    )


def half_applied(log: list[Event]) -> list[str]:
    """Exchanges whose balance moves are not exactly one Earned and one Spent for a completed
    exchange (and none for any other), with reversals matched the same way."""
    moves: dict[str, Counter[str]] = defaultdict(Counter)
    for e in log:
        if e.name.startswith("Account.") and e.name.removeprefix("Account.") in MOVES:
            moves[str(e.data["exchange_id"])][e.name.removeprefix("Account.")] += 1
    wanted: dict[str, Counter[str]] = defaultdict(Counter)
    for e in log:
        exchange = e.stream.removeprefix("exchange:")
        completed = e.name == "Exchange.Recorded" and e.data["status"] == "completed"
        if completed or e.name == "Exchange.Confirmed":
            wanted[exchange].update(["Earned", "Spent"])
        if e.name == "Exchange.Reversed":
            wanted[exchange].update(["EarningReversed", "SpendingReversed"])
    return sorted(x for x in set(moves) | set(wanted) if moves[x] != wanted[x])


def fold_accounts(log: list[Event]) -> Accounts:
    folded = Accounts()
    for e in log:
        kind = e.name.removeprefix("Account.")
        if not e.name.startswith("Account.") or kind not in MOVES:
            continue
        account = e.stream.removeprefix("account:")
        sign, figure, way = MOVES[kind]
        folded.balance[account] += sign * e.data["minutes"]
        getattr(folded, figure)[account] += way * e.data["minutes"]
        folded.moves[account] += 1
    return folded


def audit_verify(database_url: str, workdir: Path) -> tuple[int, str]:
    """`timebank audit verify --database`, where the server keeps its signing key."""
    env = {**inherited(), "TIMEBANK_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "audit", "verify", "--database"],
        env=env, cwd=workdir, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr
