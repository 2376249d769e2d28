"""Persistence from `TIMEBANK_DATABASE_URL` (12-factor): SQLite by default, Postgres by URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from ledger.files import create_private

DEFAULT_DATABASE_URL = "sqlite:///var/timebank.sqlite3"
DATABASE_URL_VAR = "TIMEBANK_DATABASE_URL"


class SettingsError(ValueError):
    """The configured database URL cannot be used."""


@dataclass(frozen=True)
class Database:
    """Where the event log and the read models live: one database for both."""

    url: str
    kind: str  # "sqlite", "postgres" or "memory"
    env: dict[str, str]

    @property
    def is_postgres(self) -> bool:
        return self.kind == "postgres"


def database_url() -> str:
    return os.environ.get(DATABASE_URL_VAR) or DEFAULT_DATABASE_URL


def parse_database_url(url: str) -> Database:
    """Turn a URL into eventsourcing's environment settings.

    `sqlite:///relative/path`, `sqlite:////absolute/path`, `memory://` (tests only), or
    `postgresql://user:password@host:port/dbname[?schema=name&pool_size=N]`.
    """
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return Database(url, "sqlite", _sqlite_env(parsed.path))
    if parsed.scheme == "memory":
        return Database(url, "memory", {"PERSISTENCE_MODULE": "ledger.memory:LedgerMemoryFactory"})
    if parsed.scheme in ("postgresql", "postgres"):
        return Database(url, "postgres", _postgres_env(parsed))
    raise SettingsError(
        f"{DATABASE_URL_VAR} must start with sqlite:/// or postgresql://, not {url!r}"
    )


def _sqlite_env(path: str) -> dict[str, str]:
    # urlparse keeps one leading slash of "sqlite:///var/x": the path is relative.
    relative = path[1:] if path.startswith("/") else path
    if not relative:
        raise SettingsError("a sqlite URL needs a file path, e.g. sqlite:///var/timebank.sqlite3")
    db_file = Path(relative)
    db_file.parent.mkdir(parents=True, exist_ok=True)
    if relative != ":memory:":
        create_private(db_file)  # before SQLite makes it, and its -wal and -shm, world-readable
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "APPLICATION_RECORDER_TOPIC": "ledger.sqlite:LedgerSQLiteRecorder",
        "SQLITE_DBNAME": str(db_file),
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def _postgres_env(parsed: object) -> dict[str, str]:
    from urllib.parse import ParseResult

    assert isinstance(parsed, ParseResult)
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    dbname = parsed.path.lstrip("/")
    if not dbname:
        raise SettingsError("a postgresql URL needs a database name: postgresql://host/dbname")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "ledger.postgres:LedgerPostgresRecorder",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        "POSTGRES_SCHEMA": query.get("schema", ""),
        "POSTGRES_POOL_SIZE": query.get("pool_size", "8"),
        "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", "8"),
        # Also how long a request waits for a pooled connection: short, so that a request
        # caught by an outage hears 503 in seconds (see ledger/breaker.py).
        "POSTGRES_CONNECT_TIMEOUT": query.get("connect_timeout", "2"),
        "POSTGRES_LOCK_TIMEOUT": query.get("lock_timeout", "5"),
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        # No ping before each checkout: it costs a round trip on every commit. A connection
        # that died with the server fails its one request (503) and leaves the pool.
        "POSTGRES_PRE_PING": query.get("pre_ping", "n"),
        "POSTGRES_CONN_MAX_AGE": query.get("conn_max_age", "600"),
    }
