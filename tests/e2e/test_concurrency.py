"""Retries that race: one Idempotency-Key sent twenty times at once records one exchange."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from ledger import Ledger
from tests.e2e.support import Api, World, exchange, new_id

EXCHANGE_RECORDED = "domain.exchange:Exchange.Recorded"
SENDERS = 20


def exchanges_recorded(event_log: Ledger, after: int) -> list[str]:
    notifications = event_log.recorder.select_notifications(
        start=after, limit=10_000, topics=[EXCHANGE_RECORDED], inclusive_of_start=False
    )
    return [n.originator_id for n in notifications]


def test_twenty_concurrent_posts_with_one_key_record_one_exchange(
    api: Api, world: World, event_log: Ledger
) -> None:
    ann, bob = world.a.accounts
    body = exchange(ann, bob, 15, note="sent by a client that retries hard")
    headers = {
        "Authorization": f"Bearer {world.a.poster}",
        "Idempotency-Key": new_id("retry"),
    }
    before = event_log.head_position()

    def post(_: int) -> httpx.Response:
        # A client of its own per sender: twenty connections, as twenty retrying processes.
        with httpx.Client(base_url=api.server.base_url, timeout=30) as client:
            return client.post("/v1/exchanges", json=body, headers=headers)

    with ThreadPoolExecutor(SENDERS) as pool:
        responses = list(pool.map(post, range(SENDERS)))

    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    recorded = exchanges_recorded(event_log, before)
    assert recorded == [f"exchange:{responses[0].json()['id']}"]
