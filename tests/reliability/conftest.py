"""Reliability and security: servers on 127.0.0.1 killed, cut off from their database, raced
and fed hostile input. Each test records its figures; they are written to
`<pytest basetemp>/reliability-figures.json` and shown at the end of the run."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL, require_postgres
from tests.reliability import eventstore
from tests.reliability.support import Service, api_service, environment

FIGURES: dict[str, dict[str, Any]] = {}
FIGURES_FILE = "reliability-figures.json"


@pytest.fixture
def figures(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """What the test measured (kills survived, writes lost, 5xx seen...), kept even when the
    test fails, so a failure says how far it got."""
    measured: dict[str, Any] = {}
    yield measured
    FIGURES[request.node.name] = measured
    path = Path(tmp_path_factory.getbasetemp()) / FIGURES_FILE
    path.write_text(json.dumps(FIGURES, indent=2, sort_keys=True))
    print(f"\n{request.node.name}: {json.dumps(measured, sort_keys=True)}")


@pytest.fixture
def admin_key() -> str:
    return f"admin-{secrets.token_urlsafe(24)}"


@dataclass
class Target:
    """A server on Postgres that the hostile-input and security tests share."""

    service: Service
    admin_key: str
    database_url: str

    @property
    def base_url(self) -> str:
        return self.service.base_url

    def events(self) -> tuple[int, int]:
        """(events in the log, last position)."""
        return eventstore.count(self.database_url)


@pytest.fixture(scope="package")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """Logging at DEBUG, so that whatever could leak a secret into the logs is written."""
    require_postgres()
    schema = f"rel_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_ADMIN_URL}?schema={schema}"
    key = f"admin-{secrets.token_urlsafe(24)}"
    env = environment(url, key, TIMEBANK_LOG_LEVEL="DEBUG")
    service = api_service(env, tmp_path_factory.mktemp("target"))
    service.start()
    try:
        service.wait_healthy()
        yield Target(service, key, url)
    finally:
        service.stop()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, measured in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {json.dumps(measured, sort_keys=True)}")
