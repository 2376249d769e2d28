"""After the storm: the ledger holds exactly what was acknowledged, whole, and every read
model agrees with a plain fold over the event log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.reliability import eventstore
from tests.reliability.load import Tally
from tests.reliability.support import Partner, bearer, read_all

CATCH_UP_SECONDS = 60


def assert_exactly_the_acknowledged(
    database_url: str, tally: Tally, partner: Partner, figures: dict[str, Any]
) -> list[eventstore.Event]:
    """The load's exchanges (those `partner` recorded) are exactly the acknowledged ones."""
    log = eventstore.events(database_url)
    recorded = eventstore.exchanges_recorded(log, partner.org)
    acked = {answer["id"] for answer in tally.acked.values()}
    figures["acknowledged"] = len(acked)
    figures["acknowledged_writes_lost"] = len([x for x in acked if recorded[x] == 0])
    figures["exchanges_doubled"] = len([x for x, n in recorded.items() if n > 1])
    figures["half_applied"] = len(eventstore.half_applied(log))
    figures["events"] = len(log)
    assert len(acked) == len(tally.acked), "two keys were answered with one exchange"
    assert figures["acknowledged_writes_lost"] == 0
    assert figures["exchanges_doubled"] == 0
    # Every request got a definite answer, so nothing may be recorded that was not acknowledged.
    assert set(recorded) == acked
    assert eventstore.half_applied(log) == []
    return log


def assert_read_models_match_the_log(
    client: httpx.Client, partner: Partner, log: list[eventstore.Event]
) -> None:
    head = log[-1].position
    folded = eventstore.fold_accounts(log)
    key, org = partner.broker, partner.org
    for account in partner.accounts:
        body = _caught_up(client, key, f"/v1/accounts/{account}", head)
        figures = (body["balance"], body["given"], body["received"])
        assert figures == (
            folded.balance[account],
            folded.given[account],
            folded.received[account],
        ), account
        entries = read_all(client, key, f"/v1/accounts/{account}/statement", "entries")
        assert len(entries) == folded.moves[account], account
    assert sum(folded.balance.values()) == 0
    recorded = [e for e in log if e.name == "Exchange.Recorded" and e.data["recorded_by"] == org]
    listed = read_all(client, key, "/v1/exchanges", "exchanges")
    assert sorted(x["id"] for x in listed) == sorted(e.stream[9:] for e in recorded)
    summary = _caught_up(client, key, f"/v1/organisations/{org}/summary", head)
    assert summary["exchanges"] == len(recorded)
    assert summary["minutes"] == sum(e.data["minutes"] for e in recorded)


def assert_audit_chain_verifies(database_url: str, workdir: Path, events: int) -> None:
    code, output = eventstore.audit_verify(database_url, workdir)
    assert code == 0, output
    assert f"ok: {events} events" in output, output


def _caught_up(client: httpx.Client, key: str, path: str, position: int) -> dict[str, Any]:
    """A read as of `position`, waiting while the read models catch up (or restart)."""
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        response = client.get(path, params={"min_position": position}, headers=bearer(key))
        if response.status_code != 503 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body
        time.sleep(0.2)
