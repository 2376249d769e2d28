"""Webhooks delivered through failures, stalls and SIGKILLs: every change arrives, in order,
signed, with the same webhook-id on each retry; hostile registrations change nothing."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL, require_postgres
from tests.reliability.receiver import Receiver
from tests.reliability.support import (
    Partner,
    Service,
    api_service,
    bearer,
    created,
    environment,
    projector_service,
    register_partner,
)

FAST = {
    "TIMEBANK_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver listens on 127.0.0.1
    "TIMEBANK_WEBHOOK_TIMEOUT_SECONDS": "0.5",
    "TIMEBANK_WEBHOOK_RETRY_MAX_SECONDS": "0.5",
}
DEADLINE = 60.0


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/timebank.sqlite3"
        return
    require_postgres()
    schema = f"wh_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_ADMIN_URL}?schema={schema}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def fails_stalls_then_accepts(number: int) -> str:
    """The first attempt fails, the second gets no answer in time; then a failure every
    seventh request, so retries keep happening throughout."""
    if number == 0:
        return "fail"
    if number == 1:
        return "stall"
    return "fail" if number % 7 == 0 else "accept"


def feed(client: httpx.Client, key: str, org: str) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    after = "0"
    while True:
        response = client.get(
            f"/v1/organisations/{org}/changes",
            params={"after": after, "limit": 1000},
            headers=bearer(key),
        )
        assert response.status_code == 200, response.text
        page = response.json()
        if not page["changes"]:
            return changes
        changes += page["changes"]
        after = page["next"]


def wait_for(condition: Any, what: str, *outputs: Service) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(s.output()[-3000:] for s in outputs)
            raise AssertionError(f"{what} did not happen in {DEADLINE}s\n{logs}")
        time.sleep(0.1)


def record(client: httpx.Client, partner: Partner, other: Partner, n: int) -> None:
    for i in range(n):
        receiver = other.accounts[0] if i % 3 == 0 else partner.accounts[1]
        body = {"giver": partner.accounts[0], "receiver": receiver, "minutes": 5 + i}
        created(client, partner.broker, "/v1/exchanges", body)


def test_every_change_reaches_the_receiver_in_order_through_failures_and_kills(
    database: str, tmp_path: Path, figures: dict[str, Any]
) -> None:
    admin = f"admin-{secrets.token_urlsafe(24)}"
    env = environment(database, admin, **FAST)
    api = api_service(env, tmp_path, "--no-projections")
    projector = projector_service(env, tmp_path)
    receiver = Receiver(fails_stalls_then_accepts, stall_seconds=1.5)
    url = receiver.start()
    api.start()
    projector.start()
    try:
        api.wait_healthy()
        with httpx.Client(base_url=api.base_url, timeout=30) as client:
            a = register_partner(client, admin, 2)
            b = register_partner(client, admin, 1)
            hooks = f"/v1/organisations/{a.org}/webhooks"
            hook = created(client, a.broker, hooks, {"url": url})
            start = client.get(hooks, headers=bearer(a.broker)).json()["webhooks"][0]["cursor"]
            record(client, a, b, 10)
            wait_for(lambda: len(receiver.accepted()) >= 3, "first deliveries", projector)
            projector.kill()  # in the middle of deliveries
            projector.start()
            record(client, a, b, 10)
            api.kill()
            api.start()
            api.wait_healthy()
            record(client, a, b, 10)
            wait_for(lambda: len(receiver.accepted()) >= 8, "more deliveries", projector)
            projector.kill()
            projector.start()
            expected: list[int] = []

            def all_delivered() -> bool:
                positions = [c["position"] for c in feed(client, a.broker, a.org)]
                expected[:] = [p for p in positions if p > start]
                return len(expected) >= 30 and set(expected) <= {
                    r.change["position"] for r in receiver.accepted()
                }

            wait_for(all_delivered, "every change delivered", projector)
            wanted = set(expected)
            deliveries = client.get(
                f"/v1/organisations/{a.org}/webhooks/{hook['id']}/deliveries",
                headers=bearer(a.broker),
            ).json()
    finally:
        projector.stop()
        api.stop()
        receiver.stop()
    everything = receiver.all()
    assert all(r.verifies(hook["secret"]) for r in everything)
    assert all(r.webhook_id == f"chg_{r.change['position']}" for r in everything)
    first_accepted: list[int] = []
    for r in receiver.accepted():
        if r.change["position"] not in first_accepted:
            first_accepted.append(r.change["position"])
    assert first_accepted == expected  # in order, none skipped
    retried = [p for p in wanted if sum(r.change["position"] == p for r in everything) > 1]
    assert retried  # the failures and the stall were retried under the same webhook-id
    assert deliveries["webhook"]["enabled"]
    assert any(not d["delivered"] for d in deliveries["deliveries"])
    figures.update(
        changes=len(expected),
        requests=len(everything),
        repeats_after_acceptance=len(receiver.accepted()) - len(expected),
    )
