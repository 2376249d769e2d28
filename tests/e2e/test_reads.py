"""Reads over real HTTP: balances, statements, reciprocity, lists, summaries, read-your-writes."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.support import Api, World, assert_problem, exchange

pytestmark = pytest.mark.usefixtures("reads")


def read(api: Api, path: str, position: int, **params: Any) -> dict[str, Any]:
    """A read that must see everything up to `position`."""
    response = api.get(path, params={"min_position": position, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body.get("as_of_position", position) >= position
    return body


def record(api: Api, *items: dict[str, Any]) -> int:
    """Record exchanges in one batch; the position to read at."""
    return int(api.created("/v1/exchanges/batch", {"exchanges": list(items)})["position"])


def test_balances_move_with_completed_exchanges_and_sum_to_zero(api: Api, world: World) -> None:
    broker = api.as_(world.a.broker)
    ann, bob = world.a.accounts
    position = record(broker, exchange(ann, bob, 90), exchange(bob, ann, 30))
    balances = {a: read(broker, f"/v1/accounts/{a}", position) for a in (ann, bob)}
    assert balances[ann]["balance"] == 60
    assert (balances[ann]["given"], balances[ann]["received"]) == (90, 30)
    assert balances[ann]["balance"] + balances[bob]["balance"] == 0
    assert balances[bob]["over_limit"] is False


def test_a_balance_as_it_stood_at_an_earlier_position(api: Api, world: World) -> None:
    broker = api.as_(world.a.broker)
    ann, bob = world.a.accounts
    first = record(broker, exchange(ann, bob, 40))
    later = record(broker, exchange(ann, bob, 20))
    then = read(broker, f"/v1/accounts/{ann}", later, at_position=first)
    assert then["balance"] == 40
    assert read(broker, f"/v1/accounts/{ann}", later)["balance"] == 60
    both = broker.get(f"/v1/accounts/{ann}", params={"at_position": 1, "as_of": "2025-01-01"})
    assert_problem(both, 422, "invalid_request")


def test_a_statement_pages_with_running_balances(api: Api, world: World) -> None:
    broker = api.as_(world.a.broker)
    ann, bob = world.a.accounts
    position = record(broker, exchange(ann, bob, 10), exchange(bob, ann, 25), exchange(ann, bob, 5))
    path = f"/v1/accounts/{ann}/statement"
    first = read(broker, path, position, limit=2)
    assert [e["minutes"] for e in first["entries"]] == [10, -25]
    assert [e["balance"] for e in first["entries"]] == [10, -15]
    assert first["next"] is not None
    rest = read(broker, path, position, limit=2, after=first["next"])
    assert [(e["minutes"], e["balance"], e["kind"]) for e in rest["entries"]] == [
        (5, -10, "exchange")
    ]
    assert rest["next"] is None
    assert rest["entries"][0]["counterparty"] == bob


def test_reciprocity_counts_what_was_given_and_received(api: Api, world: World) -> None:
    broker = api.as_(world.a.broker)
    ann, bob = world.a.accounts
    position = record(broker, exchange(ann, bob, 60, service_date="2025-03-01"))
    body = read(broker, f"/v1/accounts/{ann}/reciprocity", position, **{"from": "2025-01-01"})
    assert (body["given"], body["received"], body["exchanges_given"]) == (60, 0, 1)
    assert (body["partners_given_to"], body["gave_and_received"]) == (1, False)
    early = read(broker, f"/v1/accounts/{ann}/reciprocity", position, to="2024-12-31")
    assert early["given"] == 0


def test_the_summary_counts_completed_exchanges_of_the_organisation(api: Api, world: World) -> None:
    broker = api.as_(world.a.broker)
    ann, bob = world.a.accounts
    outside = world.b.accounts[0]
    position = record(
        broker,
        exchange(ann, bob, 60, service_date="2025-02-03", category="gardening"),
        exchange(bob, ann, 30, service_date="2025-03-04"),
        exchange(ann, outside, 45, service_date="2025-03-05"),  # pending: not counted
    )
    body = read(
        broker, f"/v1/organisations/{world.a.id}/summary", position, **{"from": "2025-01-01"}
    )
    assert (body["exchanges"], body["minutes"], body["accounts"]) == (2, 90, 2)
    assert (body["active_accounts"], body["gave_and_received"]) == (2, 2)
    assert body["by_category"] == {"gardening": 60, "uncategorised": 30}
    assert [m["month"] for m in body["by_month"]] == ["2025-02", "2025-03"]
    assert body["from"] == "2025-01-01"
    assert body["to"] is None


def test_exchange_lists_are_scoped_by_key_and_filtered(api: Api, world: World) -> None:
    ann, bob = world.a.accounts
    by_poster = api.as_(world.a.poster).created("/v1/exchanges", exchange(ann, bob, 11))
    by_broker = api.as_(world.a.broker).created("/v1/exchanges", exchange(bob, ann, 12))
    pending = api.as_(world.a.broker).created("/v1/exchanges", exchange(ann, world.b.accounts[0]))
    position = pending["position"]
    mine = read(api.as_(world.a.poster), "/v1/exchanges", position)["exchanges"]
    assert [e["id"] for e in mine] == [by_poster["id"]]
    ours = read(api.as_(world.a.broker), "/v1/exchanges", position, account=ann)["exchanges"]
    assert [e["id"] for e in ours] == [by_poster["id"], by_broker["id"], pending["id"]]
    waiting = read(api.as_(world.b.broker), "/v1/exchanges", position, status="pending")
    assert [e["id"] for e in waiting["exchanges"]] == [pending["id"]]
    one = read(api.as_(world.b.broker), f"/v1/exchanges/{pending['id']}", position)
    assert (one["status"], one["awaiting"]) == ("pending", world.b.id)
    theirs = read(api.as_(world.b.broker), f"/v1/organisations/{world.b.id}/pending", position)
    assert [e["id"] for e in theirs["exchanges"]] == [pending["id"]]


def test_organisations_and_their_accounts(api: Api, world: World) -> None:
    position = api.as_(world.a.broker).created("/v1/accounts", {"ref": "zed"})["position"]
    org = read(api.as_(world.a.broker), f"/v1/organisations/{world.a.id}", position)
    assert (org["id"], org["credit_limit"]) == (world.a.id, 600)
    page = read(api.admin, f"/v1/organisations/{world.a.id}/accounts", position, limit=2)
    rest = read(api.admin, f"/v1/organisations/{world.a.id}/accounts", position, after=page["next"])
    ids = [a["id"] for a in page["accounts"] + rest["accounts"]]
    assert ids == sorted([*world.a.accounts, f"{world.a.id}:zed"])


def test_unknown_ids_in_read_paths_are_404(api: Api, world: World) -> None:
    assert_problem(api.admin.get(f"/v1/accounts/{world.a.id}:nobody"), 404, "unknown_account")
    missing = "00000000-0000-0000-0000-000000000000"
    assert_problem(api.admin.get(f"/v1/exchanges/{missing}"), 404, "unknown_exchange")
    assert_problem(api.admin.get("/v1/organisations/no-such-org"), 404, "unknown_organisation")
    summary = api.admin.get("/v1/organisations/no-such-org/summary")
    assert_problem(summary, 404, "unknown_organisation")


def test_a_misspelt_filter_is_refused_not_ignored(api: Api, world: World) -> None:
    response = api.as_(world.a.broker).get("/v1/exchanges", params={"stauts": "pending"})
    assert_problem(response, 422, "invalid_request")


def test_a_balance_at_the_end_of_a_day(api: Api, world: World) -> None:
    broker = api.as_(world.a.broker)
    ann, bob = world.a.accounts
    position = record(broker, exchange(ann, bob, 35))
    today = datetime.now(UTC).date().isoformat()
    assert read(broker, f"/v1/accounts/{ann}", position, as_of=today)["balance"] == 35


def test_a_reversal_outside_the_limits_is_applied_and_flagged(api: Api, world: World) -> None:
    broker = api.as_(world.a.broker)
    ann, bob = world.a.accounts
    first = broker.created("/v1/exchanges", exchange(bob, ann, 100))
    broker.created("/v1/exchanges", exchange(ann, bob, 100))
    assert broker.patch(f"/v1/accounts/{bob}", {"credit_limit": 0}).status_code == 200
    reversal = broker.post(f"/v1/exchanges/{first['id']}/reverse", {"reason": "wrong way round"})
    assert reversal.status_code == 200, reversal.text
    position = reversal.json()["position"]
    bob_now = read(broker, f"/v1/accounts/{bob}", position)
    assert (bob_now["balance"], bob_now["over_limit"]) == (-100, True)
    entries = read(broker, f"/v1/accounts/{bob}/statement", position)["entries"]
    assert [(e["minutes"], e["balance"], e["kind"]) for e in entries] == [
        (100, 100, "exchange"),
        (-100, 0, "exchange"),
        (-100, -100, "reversal"),
    ]


def test_an_auditor_can_check_the_hash_chain_from_the_first_event(api: Api, world: World) -> None:
    position = api.as_(world.a.broker).created("/v1/exchanges", exchange(*world.a.accounts))[
        "position"
    ]
    auditor = api.as_(world.auditor)
    previous, after, seen = "0" * 64, 0, 0
    while True:
        page = read(auditor, "/v1/audit/events", position, after=after, limit=1000)
        for event in page["events"]:
            content = {k: v for k, v in event.items() if k != "hash"}
            canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
            digest = hashlib.sha256(bytes.fromhex(previous) + canonical.encode()).hexdigest()
            assert event["hash"] == digest, event["position"]
            previous, seen = digest, event["position"]
        if page["next"] is None:
            break
        after = page["next"]
    assert seen >= position
