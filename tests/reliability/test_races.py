"""Many clients spending at once from accounts near their limits, through two API processes
on one Postgres (each with its own cache of accounts and its own writer thread): no limit is
breached at any point of the history, balances sum to 0, and no exchange is doubled."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability import eventstore
from tests.reliability.checks import assert_read_models_match_the_log
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

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(120)]
LIMIT = 120  # minutes: every account may go 2 h below zero and 2 h above it
CLIENTS = 12
REQUESTS_EACH = 50
REFUSALS = {"credit_limit_exceeded", "max_balance_exceeded", "conflict"}


@pytest.fixture
def two_servers(postgres_url: str, tmp_path: Path, admin_key: str) -> Iterator[list[Service]]:
    env = environment(postgres_url, admin_key)
    services = [projector_service(env, tmp_path)]
    services += [api_service(env, tmp_path, "--no-projections") for _ in range(2)]
    for service in services:
        service.start()
    try:
        for api in services[1:]:
            api.wait_healthy()
        yield services[1:]
    finally:
        for service in services:
            service.stop()


def near_the_limits(client: httpx.Client, partner: Partner) -> list[str]:
    """Half the accounts end 100 minutes down, half 100 up: 20 from either limit."""
    half = len(partner.accounts) // 2
    made = []
    for giver, receiver in zip(partner.accounts[half:], partner.accounts[:half], strict=True):
        body = {"giver": giver, "receiver": receiver, "minutes": 100}
        made.append(created(client, partner.broker, "/v1/exchanges", body)["id"])
    return made


def spend(base_url: str, partner: Partner, seed: int) -> list[httpx.Response]:
    rng = random.Random(seed)
    answers = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for _ in range(REQUESTS_EACH):
            headers = {**bearer(partner.broker), "Idempotency-Key": str(uuid.uuid4())}
            items = [_exchange(rng, partner) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
            if len(items) == 1:
                answers.append(client.post("/v1/exchanges", json=items[0], headers=headers))
            else:
                body = {"exchanges": items}
                answers.append(client.post("/v1/exchanges/batch", json=body, headers=headers))
    return answers


def _exchange(rng: random.Random, partner: Partner) -> dict[str, Any]:
    giver, receiver = rng.sample(partner.accounts, 2)
    return {"giver": giver, "receiver": receiver, "minutes": rng.randint(5, 45)}


def acknowledged_ids(answers: list[httpx.Response]) -> list[str]:
    ids: list[str] = []
    for answer in answers:
        if answer.status_code == 201:
            body = answer.json()
            ids += [x["id"] for x in body.get("exchanges", [body])]
        else:
            assert answer.status_code in (409, 422), answer.text
            assert answer.json()["code"] in REFUSALS, answer.text
    return ids


def breaches(log: list[eventstore.Event], accounts: list[str]) -> list[str]:
    """Every moment, event by event, at which an account stood outside its limits."""
    balance: Counter[str] = Counter()
    found = []
    for event in log:
        account = event.stream.removeprefix("account:")
        kind = event.name.removeprefix("Account.")
        if account in accounts and kind in eventstore.MOVES:
            balance[account] += eventstore.MOVES[kind][0] * event.data["minutes"]
            if not -LIMIT <= balance[account] <= LIMIT:
                found.append(f"{account} at {balance[account]} (position {event.position})")
    return found


def test_concurrent_spending_through_two_servers_never_breaches_a_limit(
    two_servers: list[Service], admin_key: str, figures: dict[str, Any]
) -> None:
    first, second = two_servers
    with httpx.Client(base_url=first.base_url, timeout=30) as client:
        partner = register_partner(client, admin_key, 6, credit_limit=LIMIT, max_balance=LIMIT)
        setup = near_the_limits(client, partner)
        with ThreadPoolExecutor(CLIENTS) as pool:
            urls = [(first, second)[n % 2].base_url for n in range(CLIENTS)]
            batches = pool.map(spend, urls, [partner] * CLIENTS, range(CLIENTS))
            answers = [answer for batch in batches for answer in batch]
        acked = acknowledged_ids(answers)
        log = eventstore.events(first.env["TIMEBANK_DATABASE_URL"])
        recorded = eventstore.exchanges_recorded(log, partner.org)
        figures["requests"] = len(answers)
        figures["statuses"] = dict(Counter(a.status_code for a in answers))
        figures["exchanges_recorded"] = len(recorded)
        figures["limit_breaches"] = len(breaches(log, partner.accounts))
        figures["exchanges_doubled"] = len([x for x, n in recorded.items() if n > 1])
        assert breaches(log, partner.accounts) == []
        assert figures["exchanges_doubled"] == 0
        assert set(recorded) == {*setup, *acked}  # every refusal recorded nothing
        assert eventstore.half_applied(log) == []
        assert len(acked) > 50  # a real race: many went through, many were refused
        assert figures["statuses"].get(422, 0) > 50
        assert_read_models_match_the_log(client, partner, log)
