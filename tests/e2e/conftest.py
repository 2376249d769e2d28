"""End-to-end: `timebank serve` in a subprocess, spoken to over real HTTP.

One server per backend per session (starting one costs a second or two); every test makes
its own organisations with fresh ids, so tests never see each other's data.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from ledger import Ledger, parse_database_url
from tests.conftest import PG_ADMIN_URL, require_postgres
from tests.e2e.support import Api, Server, World, build_world

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def own_postgres_schema() -> Iterator[str]:
    """A Postgres URL on a schema made for the caller alone, dropped at the end."""
    require_postgres()
    schema = f"e2e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_ADMIN_URL}?schema={schema}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="package")
def e2e_postgres_url() -> Iterator[str]:
    """A schema of its own for the session's Postgres server, dropped at the end."""
    with own_postgres_schema() as url:
        yield url


def start_server(
    database_url: str, workdir: Path, *extra: str, env: dict[str, str] | None = None
) -> Server:
    port = free_port()
    admin_key = f"admin-{secrets.token_urlsafe(24)}"
    environment = {
        **os.environ,
        "TIMEBANK_DATABASE_URL": database_url,
        "TIMEBANK_ADMIN_KEY": admin_key,
        "PYTHONPATH": str(ROOT),
        # The suite sends requests as fast as it can with few keys; limits have a test of
        # their own (test_rate_limits.py).
        "TIMEBANK_RATE_LIMIT": "5000",
        **(env or {}),
    }
    log = (workdir / f"server-{port}.log").open("wb")
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), *extra]
    process = subprocess.Popen(command, env=environment, cwd=workdir, stdout=log, stderr=log)
    server = Server(f"http://127.0.0.1:{port}", admin_key, database_url, process, workdir)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.output()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not start in {STARTUP_SECONDS}s:\n{server.output()}")


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(f"serve-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{workdir}/timebank.sqlite3"
    else:
        url = str(request.getfixturevalue("e2e_postgres_url"))
    server = start_server(url, workdir)
    yield server
    server.stop()


@pytest.fixture(scope="package")
def event_log(server: Server) -> Iterator[Ledger]:
    """The server's database seen from outside: to prove what was (not) recorded."""
    ledger = Ledger(parse_database_url(server.database_url))
    yield ledger
    ledger.close()


@pytest.fixture
def api(server: Server) -> Iterator[Api]:
    with Api(server) as api:
        yield api


@pytest.fixture
def world(api: Api) -> World:
    """Two fresh organisations, each with a broker, a poster and two accounts; an auditor."""
    return build_world(api)


@pytest.fixture
def reads(api: Api) -> None:
    """Skip read tests while the server runs without read models."""
    response = api.get("/readyz")
    if "read models are not running" in response.text:
        pytest.skip("the server has no read models yet")
