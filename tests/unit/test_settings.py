"""TIMEBANK_DATABASE_URL chooses the store: SQLite by default, Postgres by URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.settings import DEFAULT_DATABASE_URL, SettingsError, database_url, parse_database_url


def test_the_default_is_a_sqlite_file_under_var(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIMEBANK_DATABASE_URL", raising=False)

    database = parse_database_url(database_url())

    assert database_url() == DEFAULT_DATABASE_URL == "sqlite:///var/timebank.sqlite3"
    assert database.kind == "sqlite"
    assert database.env["SQLITE_DBNAME"] == "var/timebank.sqlite3"
    assert (tmp_path / "var").is_dir(), "the directory is made so a first start just works"


def test_the_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", "postgresql://db.example/timebank")

    assert database_url() == "postgresql://db.example/timebank"


def test_an_absolute_sqlite_path_keeps_its_leading_slash(tmp_path: Path) -> None:
    database = parse_database_url(f"sqlite:///{tmp_path}/ledger.db")

    assert database.env["SQLITE_DBNAME"] == f"{tmp_path}/ledger.db"


def test_a_postgres_url_gives_host_port_user_password_database_and_schema() -> None:
    database = parse_database_url(
        "postgresql://tb%40user:p%2Fss@db.example:6543/timebank?schema=tenant_1&pool_size=3"
    )

    env = database.env
    assert database.is_postgres
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("db.example", "6543")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("tb@user", "p/ss")
    assert (env["POSTGRES_DBNAME"], env["POSTGRES_SCHEMA"]) == ("timebank", "tenant_1")
    assert env["POSTGRES_POOL_SIZE"] == "3"


def test_a_bare_postgres_url_uses_local_defaults() -> None:
    env = parse_database_url("postgres:///timebank").env

    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_USER"]) == (
        "127.0.0.1",
        "5432",
        "postgres",
    )
    assert env["POSTGRES_SCHEMA"] == ""


def test_memory_is_for_tests() -> None:
    database = parse_database_url("memory://")

    assert database.kind == "memory"
    assert database.env["PERSISTENCE_MODULE"] == "ledger.memory:LedgerMemoryFactory"


@pytest.mark.parametrize(
    "url", ["mysql://db/timebank", "timebank.sqlite3", "sqlite://", "postgresql://db.example/"]
)
def test_an_unusable_url_is_refused_with_a_clear_message(url: str) -> None:
    with pytest.raises(SettingsError):
        parse_database_url(url)
