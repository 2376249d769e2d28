"""Every write endpoint over real HTTP: what a partner's script sees when it succeeds."""

from __future__ import annotations

from datetime import UTC, datetime

from ledger import Ledger
from tests.e2e.support import Api, World, assert_problem, exchange, new_id, open_account


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_the_operator_registers_an_organisation_with_the_contract_defaults(api: Api) -> None:
    org = new_id()
    body = api.admin.created("/v1/organisations", {"id": org, "name": "Riverside Timebank"})
    assert body["id"] == org
    assert (body["credit_limit"], body["max_balance"], body["pending_expiry_days"]) == (
        600,
        None,
        14,
    )
    assert body["position"] > 0


def test_issued_keys_work_at_once_and_stop_working_when_revoked(api: Api, world: World) -> None:
    issued = api.admin.created(
        "/v1/keys", {"role": "broker", "organisation": world.a.id, "label": "desk"}
    )
    assert issued["key"].startswith("tbk_")
    assert issued["role"] == "broker"
    assert issued["organisation"] == world.a.id
    assert api.admin.created("/v1/keys", {"role": "auditor"})["organisation"] is None
    open_account(api.as_(issued["key"]))
    revoked = api.admin.delete(f"/v1/keys/{issued['id']}")
    assert revoked.status_code == 204
    assert_problem(api.as_(issued["key"]).post("/v1/accounts", {"ref": "x"}), 401, "unauthorised")


def test_an_account_takes_its_organisations_limits_unless_given_its_own(
    api: Api, world: World
) -> None:
    broker = api.as_(world.a.broker)
    plain = broker.created("/v1/accounts", {"ref": new_id("m")})
    assert (plain["credit_limit"], plain["max_balance"], plain["kind"]) == (600, None, "person")
    assert plain["id"] == f"{world.a.id}:{plain['ref']}"
    assert plain["balance"] == 0
    own = broker.created(
        "/v1/accounts", {"ref": new_id("pot"), "kind": "pot", "credit_limit": 0, "max_balance": 90}
    )
    assert (own["credit_limit"], own["max_balance"], own["kind"]) == (0, 90, "pot")
    by_admin = api.admin.created("/v1/accounts", {"ref": "x-1", "organisation": world.b.id})
    assert by_admin["id"] == f"{world.b.id}:x-1"


def test_changing_limits_and_closing_an_account(api: Api, world: World) -> None:
    broker = api.as_(world.a.broker)
    account = world.a.accounts[0]
    changed = broker.patch(f"/v1/accounts/{account}", {"credit_limit": 120, "max_balance": None})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["credit_limit"], changed.json()["max_balance"]) == (120, None)
    closed = api.admin.post(f"/v1/accounts/{account}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    refused = broker.post("/v1/exchanges", exchange(account, world.a.accounts[1]))
    assert_problem(refused, 422, "account_closed")


def test_an_exchange_inside_one_organisation_completes_at_once(api: Api, world: World) -> None:
    ann, bob = world.a.accounts
    body = api.as_(world.a.poster).created(
        "/v1/exchanges",
        exchange(ann, bob, 90, service_date="2025-03-14", category="gardening", note="hedges"),
    )
    assert body["status"] == "completed"
    assert body["recorded_by"] == world.a.id
    assert (body["giver"], body["receiver"], body["minutes"]) == (ann, bob, 90)
    assert (body["service_date"], body["category"], body["note"]) == (
        "2025-03-14",
        "gardening",
        "hedges",
    )
    assert body["position"] > 0
    assert body["recorded_at"].startswith(today()[:4])


def test_a_cross_organisation_exchange_waits_for_the_other_side(api: Api, world: World) -> None:
    recorded = api.as_(world.a.broker).created(
        "/v1/exchanges", exchange(world.a.accounts[0], world.b.accounts[0])
    )
    assert recorded["status"] == "pending"
    assert recorded["service_date"] == today()
    confirmed = api.as_(world.b.broker).post(f"/v1/exchanges/{recorded['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "completed"
    assert confirmed.json()["position"] > recorded["position"]
    again = api.as_(world.b.broker).post(f"/v1/exchanges/{recorded['id']}/confirm")
    assert_problem(again, 409, "not_pending")


def test_the_other_side_may_reject_a_pending_exchange(api: Api, world: World) -> None:
    recorded = api.as_(world.a.broker).created(
        "/v1/exchanges", exchange(world.a.accounts[0], world.b.accounts[0])
    )
    rejected = api.as_(world.b.poster).post(
        f"/v1/exchanges/{recorded['id']}/reject", {"reason": "not one of ours"}
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"


def test_a_reversal_compensates_and_cannot_be_repeated(api: Api, world: World) -> None:
    ann, bob = world.a.accounts
    recorded = api.as_(world.a.broker).created("/v1/exchanges", exchange(ann, bob))
    path = f"/v1/exchanges/{recorded['id']}/reverse"
    reversed_ = api.as_(world.a.broker).post(path, {"reason": "entered twice"})
    assert reversed_.status_code == 200
    assert reversed_.json()["status"] == "reversed"
    assert_problem(api.admin.post(path, {"reason": "again"}), 409, "already_reversed")


def test_a_batch_records_every_item_in_order(api: Api, world: World) -> None:
    ann, bob = world.a.accounts
    items = [exchange(ann, bob, 30), exchange(bob, ann, 45), exchange(ann, world.b.accounts[0])]
    body = api.as_(world.a.poster).created("/v1/exchanges/batch", {"exchanges": items})
    assert [e["minutes"] for e in body["exchanges"]] == [30, 45, 60]
    assert [e["status"] for e in body["exchanges"]] == ["completed", "completed", "pending"]
    assert body["position"] == max(e["position"] for e in body["exchanges"])


def test_a_bad_batch_item_is_named_and_nothing_is_recorded(
    api: Api, world: World, event_log: Ledger
) -> None:
    ann, bob = world.a.accounts
    before = event_log.head_position()
    items = [exchange(ann, bob, 500), exchange(ann, bob, 500), exchange(bob, ann)]
    refused = api.as_(world.a.broker).post("/v1/exchanges/batch", {"exchanges": items})
    assert assert_problem(refused, 422, "credit_limit_exceeded")["index"] == 1
    invalid = api.as_(world.a.broker).post(
        "/v1/exchanges/batch", {"exchanges": [exchange(ann, bob), exchange(ann, bob, 0)]}
    )
    assert assert_problem(invalid, 422, "invalid_request")["index"] == 1
    assert event_log.head_position() == before


def test_a_replayed_idempotency_key_answers_the_first_answer_again(
    api: Api, world: World, event_log: Ledger
) -> None:
    ann, bob = world.a.accounts
    key = {"Idempotency-Key": new_id("idem")}
    first = api.as_(world.a.broker).post("/v1/exchanges", exchange(ann, bob), headers=key)
    head = event_log.head_position()
    again = api.as_(world.a.poster).post("/v1/exchanges", exchange(ann, bob), headers=key)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert event_log.head_position() == head
    other = api.as_(world.a.broker).post("/v1/exchanges", exchange(ann, bob, 61), headers=key)
    assert_problem(other, 409, "idempotency_key_reused")
    elsewhere = api.as_(world.b.broker).post(
        "/v1/exchanges", exchange(*world.b.accounts), headers=key
    )
    assert elsewhere.status_code == 201
    assert elsewhere.json()["id"] != first.json()["id"]


def test_a_replayed_batch_answers_the_first_answer_again(api: Api, world: World) -> None:
    ann, bob = world.a.accounts
    key = {"Idempotency-Key": new_id("idem")}
    batch = {"exchanges": [exchange(ann, bob, 10), exchange(bob, ann, 20)]}
    first = api.as_(world.a.broker).post("/v1/exchanges/batch", batch, headers=key)
    again = api.as_(world.a.broker).post("/v1/exchanges/batch", batch, headers=key)
    assert first.status_code == 201
    assert (again.status_code, again.content) == (first.status_code, first.content)
