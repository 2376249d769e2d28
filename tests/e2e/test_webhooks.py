"""The change feed and webhook registration over HTTP: who may see what, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.support import Api, World, assert_problem, exchange

HOSTILE = [
    "http://127.0.0.1:8000/hook",
    "http://localhost/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.8/",
    "http://[fd00::1]/",
    "http://[::1]/",
    "file:///etc/passwd",
    "ftp://example.org/",
    "https://user:secret@example.org/",
    "https://example.org/" + "x" * 5000,
]


def changes(api: Api, key: str, org: str, **params: object) -> list[dict[str, object]]:
    response = api.as_(key).get(f"/v1/organisations/{org}/changes", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()["changes"]
    return found


def test_the_feed_shows_an_exchange_across_organisations_to_both(
    api: Api, world: World, reads: None
) -> None:
    a, b = world.a, world.b
    recorded = api.as_(a.broker).created("/v1/exchanges", exchange(a.accounts[0], b.accounts[0]))
    confirmed = api.as_(b.broker).post(f"/v1/exchanges/{recorded['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    position = confirmed.json()["position"]
    for org, key in ((a.id, a.broker), (b.id, b.broker), (a.id, world.auditor)):
        seen = changes(api, key, org, min_position=position)
        assert [c["type"] for c in seen][-2:] == ["exchange.recorded", "exchange.confirmed"]
        assert seen[-1]["exchange"]["status"] == "completed"  # type: ignore[index]
    page = api.as_(a.broker).get(f"/v1/organisations/{a.id}/changes", params={"limit": 1})
    assert page.json()["next"] == str(page.json()["changes"][0]["position"])


def test_a_poster_sees_only_its_own_exchanges_and_no_one_sees_another_organisations_feed(
    api: Api, world: World, reads: None
) -> None:
    a, b = world.a, world.b
    mine = api.as_(a.poster).created("/v1/exchanges", exchange(a.accounts[0], a.accounts[1]))
    api.as_(a.broker).created("/v1/exchanges", exchange(a.accounts[1], a.accounts[0]))
    seen = changes(api, a.poster, a.id, min_position=mine["position"] + 1)
    assert {c["exchange"]["id"] for c in seen} == {mine["id"]}  # type: ignore[index]
    for key in (b.broker, b.poster):
        assert_problem(api.as_(key).get(f"/v1/organisations/{a.id}/changes"), 403, "forbidden")
        response = api.as_(key).post(
            f"/v1/organisations/{a.id}/webhooks", {"url": "https://example.org/in"}
        )
        assert_problem(response, 403, "forbidden")
        assert_problem(api.as_(key).get(f"/v1/organisations/{a.id}/webhooks"), 403, "forbidden")


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_webhook_targets_are_refused_and_register_nothing(
    api: Api, world: World, reads: None, url: str
) -> None:
    path = f"/v1/organisations/{world.a.id}/webhooks"
    response = api.as_(world.a.broker).post(path, {"url": url})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"
    assert api.as_(world.a.broker).get(path).json() == {"webhooks": []}


def test_a_webhook_is_registered_listed_and_deleted_and_its_secret_shown_once(
    api: Api, world: World, reads: None
) -> None:
    path = f"/v1/organisations/{world.a.id}/webhooks"
    broker = api.as_(world.a.broker)
    body = {"url": "https://[2606:4700:4700::1111]/in", "types": ["exchange.confirmed"]}
    hook = broker.created(path, body)
    assert hook["secret"].startswith("whsec_")
    listed = broker.get(path).json()["webhooks"]
    assert [(h["id"], h["types"], h["enabled"]) for h in listed] == [
        (hook["id"], ["exchange.confirmed"], True)
    ]
    assert hook["secret"] not in broker.get(path).text
    deliveries = broker.get(f"{path}/{hook['id']}/deliveries")
    assert deliveries.status_code == 200, deliveries.text
    assert deliveries.json()["deliveries"] == []
    assert broker.delete(f"{path}/{hook['id']}").status_code == 204
    assert_problem(broker.delete(f"{path}/{hook['id']}"), 404, "not_found")
    assert broker.get(path).json() == {"webhooks": []}


def test_no_webhook_secret_is_stored_in_clear(
    api: Api, world: World, reads: None, tmp_path: Path
) -> None:
    hook = api.as_(world.a.broker).created(
        f"/v1/organisations/{world.a.id}/webhooks", {"url": "https://[2606:4700:4700::1111]/"}
    )
    database = api.server.database_url
    if database.startswith("sqlite:///"):
        data = b"".join(
            p.read_bytes()
            for p in Path(database.removeprefix("sqlite:///")).parent.glob("*.sqlite3*")
        )
        assert hook["secret"].encode() not in data
        assert hook["secret"].removeprefix("whsec_").encode() not in data
