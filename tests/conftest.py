"""Fixtures shared by every suite: a fresh database per test, on each backend.

Postgres tests run whenever Postgres answers. Without it they are skipped on a laptop
(and the summary says so), but they fail under CI=true: a green CI must mean they ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from ledger import Database, Ledger, parse_database_url

PG_ADMIN_URL = os.environ.get("TIMEBANK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["memory", "sqlite", "postgres"]


def postgres_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def require_postgres() -> None:
    if postgres_available():
        return
    message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}, and CI=true: Postgres tests must run in CI")
    pytest.skip(f"{message}: Postgres tests skipped (they run in CI)")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A Postgres URL whose schema exists for this test alone and is dropped after it."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_ADMIN_URL}?schema={schema}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/timebank.sqlite3"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs the test once per backend: in-memory, SQLite file, Postgres schema."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def make_ledger(database_url: str) -> Iterator[Callable[..., Ledger]]:
    """Builds ledgers on this test's database; all are closed at the end."""
    made: list[Ledger] = []

    def make(**kwargs: object) -> Ledger:
        ledger = Ledger(parse_database_url(database_url), **kwargs)  # type: ignore[arg-type]
        made.append(ledger)
        return ledger

    yield make
    for ledger in made:
        ledger.close()


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger]) -> Ledger:
    return make_ledger()


def database_of(url: str) -> Database:
    return parse_database_url(url)
