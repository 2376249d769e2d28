"""Gifts and the reporting setting over HTTP: shapes, refusals, idempotency, reversal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import ExchangeRequest, Ledger, parse_database_url
from tests.integration.web_support import pages_of
from tests.unit.support import Clock

ADMIN = {"authorization": "Bearer operator-key-for-tests"}


@pytest.fixture
def api() -> Iterator[tuple[TestClient, dict[str, str], dict[str, str]]]:
    ledger = Ledger(parse_database_url("memory://"), clock=Clock())
    try:
        ledger.register_organisation("north", "North")
        ledger.register_organisation("south", "South")
        for account_id in ("north:ann", "north:pot", "south:dee"):
            ledger.open_account(*account_id.split(":"))
        ledger.record_exchange("north", ExchangeRequest("north:ann", "north:pot", 60))
        north = {"authorization": f"Bearer {ledger.issue_key('broker', 'north').key}"}
        south = {"authorization": f"Bearer {ledger.issue_key('broker', 'south').key}"}
        with pages_of(ledger, broker="unused") as pages:
            yield pages.client, north, south
    finally:
        ledger.close()


def gift(client: TestClient, key: dict[str, str], **body: Any) -> Any:
    body = {"from": "north:ann", "to": "north:pot", "minutes": 45} | body
    return client.post("/v1/gifts", json=body, headers=key)


def test_a_gift_answers_201_with_its_record_and_reads_back(api: Any) -> None:
    client, north, _ = api
    answer = gift(client, north, note="to the pot")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert {k: body[k] for k in ("from", "to", "minutes", "note", "status")} == {
        "from": "north:ann", "to": "north:pot", "minutes": 45, "note": "to the pot",
        "status": "completed",
    }  # fmt: skip
    read = client.get(f"/v1/gifts/{body['id']}?min_position={body['position']}", headers=north)
    assert (read.status_code, read.json()["from"]) == (200, "north:ann")


def test_a_gift_past_the_givers_credits_or_out_of_the_organisation_is_refused(api: Any) -> None:
    client, north, south = api
    too_much = gift(client, north, minutes=61)
    assert (too_much.status_code, too_much.json()["code"]) == (422, "credit_limit_exceeded")
    across = gift(client, north, to="south:dee")
    assert (across.status_code, across.json()["code"]) == (422, "invalid_request")
    not_theirs = gift(client, south)
    assert (not_theirs.status_code, not_theirs.json()["code"]) == (403, "forbidden")


def test_the_same_key_gives_the_first_answer_again(api: Any) -> None:
    client, north, _ = api
    key = {**north, "idempotency-key": "gift-1"}
    first, again = gift(client, key), gift(client, key)
    assert (again.status_code, again.headers["idempotent-replayed"]) == (201, "true")
    assert again.json() == first.json()
    reused = gift(client, key, minutes=10)
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")


def test_a_gift_is_reversed_once(api: Any) -> None:
    client, north, _ = api
    made = gift(client, north).json()
    path = f"/v1/gifts/{made['id']}/reverse"
    assert client.post(path, json={"reason": "by mistake"}, headers=north).json()["status"] == (
        "reversed"
    )
    again = client.post(path, json={"reason": "again"}, headers=north)
    assert (again.status_code, again.json()["code"]) == (409, "already_reversed")
    unknown = client.post("/v1/gifts/nope/reverse", json={"reason": "x"}, headers=ADMIN)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_gift")


def test_another_organisation_hears_the_same_refusal_for_a_gift_that_exists_and_one_that_not(
    api: Any,
) -> None:
    client, north, south = api
    made = gift(client, north).json()
    absent = "00000000-0000-4000-8000-000000000000"
    for gift_id in (made["id"], absent):
        read = client.get(f"/v1/gifts/{gift_id}?min_position={made['position']}", headers=south)
        reverse = client.post(f"/v1/gifts/{gift_id}/reverse", json={"reason": "x"}, headers=south)
        for answer in (read, reverse):
            assert (answer.status_code, answer.json()["code"]) == (403, "forbidden"), gift_id
            assert answer.json()["detail"] == f"gift {gift_id} is not your organisation's"
    assert client.get(f"/v1/gifts/{absent}", headers=ADMIN).status_code == 404
    assert client.get(f"/v1/gifts/{made['id']}", headers=north).json()["status"] == "completed"


def test_an_organisation_keeps_a_default_min_count_for_its_reports(api: Any) -> None:
    client, north, south = api
    changed = client.patch("/v1/organisations/north", json={"report_min_count": 5}, headers=north)
    assert (changed.status_code, changed.json()["report_min_count"]) == (200, 5)
    position = changed.json()["position"]
    read = client.get(f"/v1/organisations/north?min_position={position}", headers=north)
    assert read.json()["report_min_count"] == 5
    other = client.patch("/v1/organisations/north", json={"report_min_count": 5}, headers=south)
    assert other.status_code == 403
    bad = client.patch("/v1/organisations/north", json={"report_min_count": 0}, headers=north)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_request")


def test_participation_refuses_a_range_it_cannot_answer(api: Any) -> None:
    client, north, _ = api
    path = "/v1/organisations/north/participation"
    for params in ({"from": "2024-05", "to": "2024-01"}, {"from": "2024-13"}, {"min_count": 0}):
        answer = client.get(path, params=params, headers=north)
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request"), params
    wide = client.get(path, params={"from": "1990-01", "to": "2024-01"}, headers=north)
    assert wide.status_code == 422
    assert client.get(path, headers=ADMIN).status_code == 200
