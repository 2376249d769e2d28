"""Someone with write access to the database edits the stored events directly in SQL.

`timebank audit verify --database` must name the first bad position; so must the offline
verify of an export taken after the tampering, checked against the checkpoint and the export
an auditor kept from before it (which themselves still verify). An independent few-line
hashlib implementation of the chain agrees with the project's verifier on every file.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.cli import main
from ledger import ExchangeRequest, Ledger, parse_database_url
from projections.audit_chain import AuditChain
from projections.audit_checkpoints import Checkpointer, CheckpointPolicy
from projections.audit_log import AuditLog
from projections.runner import Runner
from tests.conftest import PG_ADMIN_URL

# A few lines of plain hashlib, written from the contract alone.


def independent_hashes(path: Path) -> Iterator[tuple[int, str, str]]:
    """(position, hash the file states, hash recomputed) for each line."""
    previous = "0" * 64
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        stated = event.pop("hash")
        body = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        previous = hashlib.sha256(bytes.fromhex(previous) + body.encode("utf-8")).hexdigest()
        yield event["position"], stated, previous


def independent_first_bad(path: Path) -> int | None:
    return next((p for p, stated, mine in independent_hashes(path) if stated != mine), None)


def rehash(source: Path, target: Path) -> None:
    """What a careful forger does to an export: make its hashes consistent again."""
    lines = []
    for line, (_, _, mine) in zip(
        source.read_text(encoding="utf-8").splitlines(), independent_hashes(source), strict=True
    ):
        lines.append(json.dumps({**json.loads(line), "hash": mine}, ensure_ascii=False))
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


# Running the console script in-process.


@dataclass
class Result:
    code: int
    out: str

    @property
    def bad_position(self) -> int | None:
        found = re.search(r"first bad position (\d+)", self.out)
        return int(found.group(1)) if found else None


@pytest.fixture
def timebank(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    def run(*args: str | Path) -> Result:
        code = main([str(a) for a in args])
        return Result(code, capsys.readouterr().out)

    return run


# Direct SQL on the events table, as a tamperer would.


class EventTable:
    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme == "sqlite":
            self.conn: sqlite3.Connection | psycopg.Connection[tuple[object, ...]]
            self.conn = sqlite3.connect(parsed.path[1:], isolation_level=None)
            self.table, self.id = "stored_events", "rowid"
        else:
            schema = parse_qs(parsed.query)["schema"][0]
            self.conn = psycopg.connect(PG_ADMIN_URL, autocommit=True)
            # eventsourcing names the Postgres table after the application.
            self.table, self.id = f'"{schema}".ledger_events', "notification_id"

    def run(self, statement: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        statement = statement.format(table=self.table, id=self.id)
        if isinstance(self.conn, psycopg.Connection):
            statement = statement.replace("?", "%s")
        cursor = self.conn.execute(statement, params)  # type: ignore[arg-type]
        return list(cursor.fetchall()) if cursor.description else []

    def state(self, position: int) -> dict[str, object]:
        row = self.run("SELECT state FROM {table} WHERE {id} = ?", (position,))[0]
        state = row[0]
        assert isinstance(state, bytes | memoryview)
        return dict(json.loads(bytes(state)))

    def change(self, position: int) -> None:
        state = self.state(position)
        state["minutes"] = int(state["minutes"]) + 60  # type: ignore[call-overload]
        self.run(
            "UPDATE {table} SET state = ? WHERE {id} = ?", (json.dumps(state).encode(), position)
        )

    def delete(self, position: int) -> None:
        self.run("DELETE FROM {table} WHERE {id} = ?", (position,))

    def insert(self, position: int) -> None:
        """A forged credit at `position`, the later events moved up one to make room."""
        state = json.dumps(self.state(position)).encode()
        self.run("UPDATE {table} SET {id} = -({id} + 1) WHERE {id} >= ?", (position,))
        self.run("UPDATE {table} SET {id} = -{id} WHERE {id} < 0")
        self.run(
            "INSERT INTO {table} ({id}, originator_id, originator_version, topic, state)"
            " VALUES (?, 'account:north:ann', 999, 'domain.account:Account.Earned', ?)",
            (position, state),
        )

    def swap(self, first: int, second: int) -> None:
        self.run("UPDATE {table} SET {id} = -1 WHERE {id} = ?", (first,))
        self.run("UPDATE {table} SET {id} = ? WHERE {id} = ?", (first, second))
        self.run("UPDATE {table} SET {id} = ? WHERE {id} = -1", (second,))


# A ledger with some history, chained and checkpointed, and what an auditor kept of it.


@dataclass
class Audited:
    url: str
    folder: Path
    target: int  # an Account.Earned event well before the kept checkpoint
    checkpoint: int  # the kept checkpoint's position
    kept_export: Path
    kept_checkpoint: Path


def signing_key(folder: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (folder / "signing-key.pem").write_bytes(pem)
    return key


def record_history(ledger: Ledger) -> None:
    for org in ("north", "south"):
        ledger.register_organisation(org, org.title())
    for account in ("north:ann", "north:bob", "north:cy", "south:dee"):
        org, ref = account.split(":")
        ledger.open_account(org, ref)
    for minutes in (30, 45, 60, 90, 120, 15):
        ledger.record_exchange("north", ExchangeRequest("north:ann", "north:bob", minutes))
        ledger.record_exchange("north", ExchangeRequest("north:cy", "north:ann", minutes // 3))
    pending = ledger.record_exchange("north", ExchangeRequest("north:bob", "south:dee", 40))
    ledger.confirm_exchange(pending.id, "south")
    reversed_ = ledger.record_exchange("north", ExchangeRequest("north:cy", "north:bob", 25))
    ledger.reverse_exchange(reversed_.id, "north", reason="recorded twice")


def chain_and_checkpoint(log: AuditLog, key: Ed25519PrivateKey) -> None:
    chain = AuditChain(log.view)
    Runner(log.recorder, [chain]).catch_up(chain)
    Checkpointer(log.view, key, CheckpointPolicy(every=10, seconds=3600)).tick()


@pytest.fixture(params=["sqlite", "postgres"])
def audited(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    timebank: Callable[..., Result],
) -> Audited:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", url)
    monkeypatch.setenv("TIMEBANK_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    key = signing_key(tmp_path)
    ledger = Ledger(parse_database_url(url))
    try:
        record_history(ledger)
        log = AuditLog(ledger.recorder)
        chain_and_checkpoint(log, key)
        events, _ = log.events(0, 1000)
    finally:
        ledger.close()
    kept_export, kept_checkpoint = tmp_path / "kept.jsonl", tmp_path / "kept-checkpoint.json"
    assert timebank("export", "--out", kept_export).code == 0
    assert timebank("audit", "checkpoint", "--out", kept_checkpoint).code == 0
    checkpoint = json.loads(kept_checkpoint.read_text())["position"]
    target = next(e["position"] for e in events[12:] if e["type"] == "Account.Earned")
    assert target + 2 < checkpoint
    return Audited(url, tmp_path, target, checkpoint, kept_export, kept_checkpoint)


def test_an_untouched_log_verifies_from_the_database_and_from_its_export(
    audited: Audited, timebank: Callable[..., Result]
) -> None:
    database = timebank("audit", "verify", "--database")
    offline = timebank(
        "audit", "verify", audited.kept_export, "--checkpoint", audited.kept_checkpoint
    )
    head = list(independent_hashes(audited.kept_export))[-1][2]
    assert database.code == offline.code == 0
    assert database.out == offline.out == f"ok: {audited.checkpoint + 2} events, head {head}\n"
    assert independent_first_bad(audited.kept_export) is None


TAMPERING: dict[str, Callable[[EventTable, int], None]] = {
    "change one field of one event": lambda table, p: table.change(p),
    "delete one event": lambda table, p: table.delete(p),
    "insert one event": lambda table, p: table.insert(p),
    "swap two events": lambda table, p: table.swap(p, p + 2),
}


@pytest.mark.parametrize("tampering", TAMPERING)
def test_tampering_in_sql_is_found_at_its_first_bad_position(
    audited: Audited, timebank: Callable[..., Result], tampering: str
) -> None:
    TAMPERING[tampering](EventTable(audited.url), audited.target)
    after = audited.folder / "after.jsonl"
    assert timebank("export", "--out", after).code == 0

    database = timebank("audit", "verify", "--database")
    assert (database.code, database.bad_position) == (1, audited.target)

    # The export taken after the tampering, against what the auditor kept from before it.
    kept = ("--checkpoint", audited.kept_checkpoint, "--baseline", audited.kept_export)
    offline = timebank("audit", "verify", after, *kept)
    assert (offline.code, offline.bad_position) == (1, audited.target)
    # Without the earlier export, a deleted event shows where the chain next breaks.
    alone = timebank("audit", "verify", after, "--checkpoint", audited.kept_checkpoint)
    expected = audited.target + 1 if tampering == "delete one event" else audited.target
    assert (alone.code, alone.bad_position) == (1, expected)
    assert independent_first_bad(after) == expected

    # What the auditor kept still stands.
    assert timebank("audit", "verify", audited.kept_export, *kept[:2]).code == 0


@pytest.mark.parametrize("tampering", TAMPERING)
def test_a_forger_who_rehashes_the_export_is_caught_by_the_kept_checkpoint(
    audited: Audited, timebank: Callable[..., Result], tampering: str
) -> None:
    TAMPERING[tampering](EventTable(audited.url), audited.target)
    after, forged = audited.folder / "after.jsonl", audited.folder / "forged.jsonl"
    assert timebank("export", "--out", after).code == 0
    rehash(after, forged)

    assert timebank("audit", "verify", forged).code == 0  # consistent, so a checkpoint is needed
    assert independent_first_bad(forged) is None
    signed = timebank("audit", "verify", forged, "--checkpoint", audited.kept_checkpoint)
    assert (signed.code, signed.bad_position) == (1, audited.checkpoint)
    assert "differs from the one that was signed" in signed.out
    baseline = timebank("audit", "verify", forged, "--baseline", audited.kept_export)
    assert (baseline.code, baseline.bad_position) == (1, audited.target)


def test_rebuilding_the_chain_over_a_rewritten_log_is_caught_by_the_stored_checkpoints(
    audited: Audited, timebank: Callable[..., Result]
) -> None:
    EventTable(audited.url).change(audited.target)
    ledger = Ledger(parse_database_url(audited.url))
    try:
        log = AuditLog(ledger.recorder)
        chain = AuditChain(log.view)
        chain.drop_tables()
        Runner(log.recorder, [chain]).catch_up(chain)
    finally:
        ledger.close()

    database = timebank("audit", "verify", "--database")
    assert database.code == 1
    assert "stored checkpoint" in database.out
    assert database.bad_position is not None
    assert audited.target <= database.bad_position <= audited.checkpoint
    pinned = timebank("audit", "verify", "--database", "--baseline", audited.kept_export)
    assert (pinned.code, pinned.bad_position) == (1, audited.target)
