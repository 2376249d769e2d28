"""The database goes away (a proxy between the app and Postgres is cut) and comes back.

While it is away, every request that needs it is answered 503 `unavailable` problem+json
within a few seconds, never 500 and never a hang; /readyz says 503 and /healthz still 200.
Once it is back, the same processes serve again without a restart, and nothing that was
acknowledged, before, during or after, is lost.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.reliability.checks import (
    assert_audit_chain_verifies,
    assert_exactly_the_acknowledged,
    assert_read_models_match_the_log,
)
from tests.reliability.load import Load
from tests.reliability.proxy import Proxy
from tests.reliability.support import Partner, Service, api_service, bearer, environment
from tests.reliability.support import register_partner as register

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(120)]
OUTAGES = 2
OUTAGE_SECONDS = 3.0
ANSWER_WITHIN = 4.0  # seconds: the slowest 503 allowed (a pooled connection waits 2 s)
CLIENT_TIMEOUT = 10.0
RECOVERY_SECONDS = 15.0
Request = Callable[[httpx.Client], httpx.Response]


def requests_needing_the_database(partner: Partner, admin_key: str) -> dict[str, Request]:
    broker, admin = bearer(partner.broker), bearer(admin_key)
    account = partner.accounts[0]
    exchange = {"giver": partner.accounts[1], "receiver": account, "minutes": 5}
    return {
        "record exchange": lambda c: c.post("/v1/exchanges", json=exchange, headers=broker),
        "open account": lambda c: c.post(
            "/v1/accounts", json={"ref": uuid.uuid4().hex[:12]}, headers=broker
        ),
        "register organisation (admin)": lambda c: c.post(
            "/v1/organisations",
            json={"id": f"o-{uuid.uuid4().hex[:8]}", "name": "x"},
            headers=admin,
        ),
        "read account": lambda c: c.get(f"/v1/accounts/{account}", headers=broker),
        "read account (admin)": lambda c: c.get(f"/v1/accounts/{account}", headers=admin),
        "list exchanges (admin)": lambda c: c.get("/v1/exchanges", headers=admin),
        "summary": lambda c: c.get(f"/v1/organisations/{partner.org}/summary", headers=broker),
        "audit events (admin)": lambda c: c.get("/v1/audit/events", headers=admin),
        "readyz": lambda c: c.get("/readyz"),
    }


def while_cut(
    client: httpx.Client, requests: dict[str, Request], seconds: float
) -> list[tuple[str, int, float, str]]:
    """Every kind of request, again and again: (name, status, seconds taken, code)."""
    seen: list[tuple[str, int, float, str]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, send in requests.items():
            started = time.monotonic()
            response = send(client)
            elapsed = time.monotonic() - started
            code = _code(response)
            seen.append((name, response.status_code, elapsed, code))
        assert client.get("/healthz").status_code == 200  # the process itself is fine
    return seen


def _code(response: httpx.Response) -> str:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return f"not problem+json: {response.headers.get('content-type')}"
    return str(response.json().get("code"))


def errors_logged(api: Service) -> str:
    """The server's own account of what went wrong, for a failure's message."""
    lines = api.output().splitlines()
    return "\n".join(line for line in lines if '"level": "info"' not in line)[-5000:]


def recovered(client: httpx.Client, requests: dict[str, Request]) -> float:
    """Seconds until every request that failed during the outage succeeds again."""
    started = time.monotonic()
    for name, send in requests.items():
        while (status := send(client).status_code) >= 300:
            assert status == 503, (name, status)
            assert time.monotonic() - started < RECOVERY_SECONDS, f"{name} did not recover"
            time.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture
def behind_proxy(
    postgres_url: str, tmp_path: Path, admin_key: str
) -> Iterator[tuple[Service, Proxy]]:
    parsed = urlparse(postgres_url)
    with Proxy((parsed.hostname or "127.0.0.1", parsed.port or 5432)) as proxy:
        proxied = postgres_url.replace(f":{parsed.port}/", f":{proxy.port}/", 1)
        api = api_service(environment(proxied, admin_key), tmp_path)
        api.start()
        try:
            api.wait_healthy()
            yield api, proxy
        finally:
            api.stop()


def test_while_the_database_is_away_the_api_answers_503_at_once_and_recovers_alone(
    behind_proxy: tuple[Service, Proxy], admin_key: str, figures: dict[str, Any]
) -> None:
    api, proxy = behind_proxy
    figures.update(outage_seconds_survived=0.0, requests_during_outages=0, slowest_503=0.0)
    figures.update(server_errors_5xx=0, recovery_seconds=[])
    with httpx.Client(base_url=api.base_url, timeout=CLIENT_TIMEOUT) as client:
        partner = register(client, admin_key, accounts=6, credit_limit=10**6)
        # Requests of another partner probe the outage, so the load's exchanges stay its own.
        prober = register(client, admin_key, accounts=2, credit_limit=10**6)
        requests = requests_needing_the_database(prober, admin_key)
        load = Load(api.base_url, partner, threads=3, max_requests=3000)
        load.start()
        try:
            for _ in range(OUTAGES):
                time.sleep(1.0)  # the load runs with the database there
                proxy.cut()
                seen = while_cut(client, requests, OUTAGE_SECONDS)
                proxy.restore()
                figures["outage_seconds_survived"] += OUTAGE_SECONDS
                figures["requests_during_outages"] += len(seen)
                figures["slowest_503"] = max(figures["slowest_503"], *(s[2] for s in seen))
                figures["server_errors_5xx"] += len([s for s in seen if s[1] != 503])
                odd = [s for s in seen if (s[1], s[3]) != (503, "unavailable")]
                assert not odd, f"{odd}\n{errors_logged(api)}"
                assert figures["slowest_503"] < ANSWER_WITHIN
                figures["recovery_seconds"].append(round(recovered(client, requests), 2))
            time.sleep(1.0)  # and once more after the last outage
        finally:
            load.stop()
        load.settle()
        figures["acknowledged_during_run"] = len(load.tally.acked)
        figures["server_errors_5xx"] += len(load.tally.server_errors)
        assert load.tally.server_errors == []
        assert load.tally.statuses[503] > 0  # the load did meet the outages
        url = api.env["TIMEBANK_DATABASE_URL"]
        log = assert_exactly_the_acknowledged(url, load.tally, partner, figures)
        assert_read_models_match_the_log(client, partner, log)
    assert_audit_chain_verifies(url, api.workdir, len(log))
