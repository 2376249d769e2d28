"""Whatever the umask, the files that hold the history or a key are their owner's only: the
SQLite database with its -wal and -shm, a generated signing key, and every export."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main
from ledger import Ledger, parse_database_url
from projections.audit_signing import load_signing_key
from tests.integration.test_audit_tampering import record_history


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o002, 0o000], ids=["umask-022", "umask-002", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    before = os.umask(request.param)
    yield int(request.param)
    os.umask(before)


@pytest.fixture
def history(umask: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A SQLite ledger with some history, left open: its -wal and -shm exist while it is."""
    del umask
    database = tmp_path / "var" / "timebank.sqlite3"
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", f"sqlite:///{database}")
    ledger = Ledger(parse_database_url(f"sqlite:///{database}"))
    try:
        record_history(ledger)
        yield database
    finally:
        ledger.close()


def test_the_sqlite_database_and_its_wal_and_shm_are_owner_only(history: Path) -> None:
    files = [history, *(history.with_name(history.name + end) for end in ("-wal", "-shm"))]
    assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}


def test_exports_are_owner_only(history: Path, tmp_path: Path) -> None:
    events, tables = tmp_path / "events.jsonl", tmp_path / "tables"
    assert main(["export", "--out", str(events)]) == 0
    assert main(["export", "--format", "csv", "--out", str(tables)]) == 0
    written = [events, tables / "exchanges.csv", tables / "balances.csv"]
    assert {path.name: mode(path) for path in written} == {path.name: 0o600 for path in written}


def test_an_export_written_over_an_older_readable_file_is_owner_only(
    history: Path, tmp_path: Path
) -> None:
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "balances.csv").write_text("old\n")
    (tables / "balances.csv").chmod(0o644)
    assert main(["export", "--format", "csv", "--out", str(tables)]) == 0
    assert mode(tables / "balances.csv") == 0o600


def test_a_generated_signing_key_is_owner_only(
    umask: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    del umask
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIMEBANK_SIGNING_KEY", raising=False)
    assert load_signing_key() is not None
    assert mode(tmp_path / "var" / "signing-key.pem") == 0o600
