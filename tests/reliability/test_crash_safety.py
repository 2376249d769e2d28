"""SIGKILL at random moments under a posting load, on Postgres: nothing acknowledged is lost,
nothing is doubled or half-applied, and the read models and the audit chain come out whole.

First the API server is killed (with its projection workers), then, with the API running
without projections, the separate projection process alone.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.checks import (
    assert_audit_chain_verifies,
    assert_exactly_the_acknowledged,
    assert_read_models_match_the_log,
)
from tests.reliability.load import Load
from tests.reliability.support import (
    Service,
    api_service,
    environment,
    projector_service,
    register_partner,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(150)]
KILLS = 5
ACKS_BETWEEN_KILLS = 20  # each kill lands on a server that is busy recording


def children(pid: int) -> list[int]:
    """Direct children (the projection workers `timebank serve` runs): each is in a session
    of its own, so killing the server's group does not reach them."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found.extend(int(child) for child in text.split())
    return found


def kill_everything(service: Service) -> None:
    assert service.process is not None
    for child in children(service.process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child, signal.SIGKILL)
    service.kill()


def kill_repeatedly(
    victim: Service,
    load: Load,
    kill: Callable[[Service], None],
    restarted: Callable[[Service], None],
    figures: dict[str, Any],
) -> None:
    rng = random.Random()
    figures["kills_survived"] = 0
    for _ in range(KILLS):
        busy_until = time.monotonic() + 20
        target = len(load.tally.acked) + ACKS_BETWEEN_KILLS
        while len(load.tally.acked) < target and time.monotonic() < busy_until:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.5))
        kill(victim)
        victim.start()
        restarted(victim)
        figures["kills_survived"] += 1


def projecting(client: httpx.Client) -> Callable[[Service], None]:
    """Waits until restarted projection workers have processed something new, so that the
    next kill finds them at work rather than starting up."""

    def wait(service: Service) -> None:
        head = client.get("/readyz").json().get("position", 0)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if client.get("/readyz").json().get("as_of_position", -1) > head:
                return
            time.sleep(0.05)
        raise AssertionError(f"the projection workers did not resume:\n{service.output()}")

    return wait


def run_and_check(
    api: Service, victim: Service, kill: Callable[[Service], None], admin_key: str,
    figures: dict[str, Any],
) -> None:  # fmt: skip
    with httpx.Client(base_url=api.base_url, timeout=30) as client:
        partner = register_partner(client, admin_key, accounts=8, credit_limit=10**6)
        load = Load(api.base_url, partner, threads=4, max_requests=4000)
        load.start()
        restarted = Service.wait_healthy if victim is api else projecting(client)
        try:
            kill_repeatedly(victim, load, kill, restarted, figures)
            time.sleep(0.5)  # load on the restarted service, then a calm end
        finally:
            load.stop()
        load.settle()
        figures["requests"] = load.tally.requests
        figures["unanswered_during_kills"] = load.tally.unanswered
        figures["server_errors_5xx"] = len(load.tally.server_errors)
        assert load.tally.server_errors == []
        url = api.env["TIMEBANK_DATABASE_URL"]
        log = assert_exactly_the_acknowledged(url, load.tally, partner, figures)
        assert_read_models_match_the_log(client, partner, log)
    assert_audit_chain_verifies(url, api.workdir, len(log))


@pytest.fixture
def stopped_at_the_end() -> Iterator[list[Service]]:
    services: list[Service] = []
    yield services
    for service in reversed(services):
        service.stop()


def test_the_server_killed_five_times_under_load_loses_and_doubles_nothing(
    postgres_url: str,
    tmp_path: Path,
    admin_key: str,
    figures: dict[str, Any],
    stopped_at_the_end: list[Service],
) -> None:
    api = api_service(environment(postgres_url, admin_key), tmp_path)
    stopped_at_the_end.append(api)
    api.start()
    api.wait_healthy()
    run_and_check(api, api, kill_everything, admin_key, figures)


def test_the_projection_process_killed_five_times_counts_every_event_once(
    postgres_url: str,
    tmp_path: Path,
    admin_key: str,
    figures: dict[str, Any],
    stopped_at_the_end: list[Service],
) -> None:
    env = environment(postgres_url, admin_key)
    projector = projector_service(env, tmp_path)
    api = api_service(env, tmp_path, "--no-projections")
    stopped_at_the_end.extend([api, projector])
    api.start()
    api.wait_healthy()
    projector.start()
    run_and_check(api, projector, Service.kill, admin_key, figures)
