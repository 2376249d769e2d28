"""Every error code, as problem+json with the contract's status, and nothing recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from ledger import Ledger
from tests.e2e.support import Api, World, assert_problem, exchange


@pytest.fixture
def unchanged(event_log: Ledger, world: World) -> Iterator[None]:
    """A refused request records nothing (the world is made before counting)."""
    before = event_log.head_position()
    yield
    assert event_log.head_position() == before


@pytest.mark.usefixtures("unchanged")
class TestRefusals:
    def test_invalid_requests(self, api: Api, world: World) -> None:
        ann, bob = world.a.accounts
        broker = api.as_(world.a.broker)
        for body in (
            exchange(ann, bob, 0),
            exchange(ann, bob, 1441),
            exchange(ann, bob, 1.5),
            exchange(ann, bob, "60"),
            exchange(ann, bob, True),
            exchange(ann, bob, service_date="2999-01-01"),
            exchange(ann, bob, service_date=20250101),
            exchange(ann, bob, category="Not A Slug"),
            exchange(ann, bob, note="x" * 501),
            {**exchange(ann, bob), "colour": "blue"},
            {"giver": ann},
            [],
        ):
            assert_problem(broker.post("/v1/exchanges", body), 422, "invalid_request")

    def test_malformed_json_is_an_invalid_request(self, api: Api, world: World) -> None:
        ann, bob = world.a.accounts
        json = {"Content-Type": "application/json"}
        for body in (
            b'{"giver": ',
            f'{{"giver": "{ann}", "receiver": "{bob}", "minutes": 5, "minutes": 6}}'.encode(),
            f'{{"giver": "{ann}", "receiver": "{bob}", "minutes": NaN}}'.encode(),
            b"[" * 100_000 + b"]" * 100_000,
            b'{"giver": "\xff"}',
        ):
            response = api.as_(world.a.broker).post("/v1/exchanges", content=body, headers=json)
            assert_problem(response, 422, "invalid_request")
        as_text = api.as_(world.a.broker).post(
            "/v1/exchanges", content=b"{}", headers={"Content-Type": "text/plain"}
        )
        assert "Content-Type: application/json" in as_text.json()["detail"]

    def test_invalid_organisations_accounts_and_keys(self, api: Api, world: World) -> None:
        for body in ({"id": "X", "name": "caps"}, {"id": "ok-id", "name": ""}, {"id": "a"}):
            assert_problem(api.admin.post("/v1/organisations", body), 422, "invalid_request")
        assert_problem(api.admin.post("/v1/keys", {"role": "broker"}), 422, "invalid_request")
        assert_problem(api.admin.post("/v1/keys", {"role": "admin"}), 422, "invalid_request")
        broker = api.as_(world.a.broker)
        for body in ({"ref": "has space"}, {"ref": "m", "kind": "robot"}, {"ref": "m", "x": 1}):
            assert_problem(broker.post("/v1/accounts", body), 422, "invalid_request")
        too_long = api.as_(world.a.broker).post(
            "/v1/exchanges", exchange(*world.a.accounts), headers={"Idempotency-Key": "k" * 256}
        )
        assert_problem(too_long, 422, "invalid_request")

    def test_unknown_ids_are_404_in_the_path_and_422_in_the_body(
        self, api: Api, world: World
    ) -> None:
        missing = f"{world.a.id}:nobody"
        assert_problem(
            api.admin.patch(f"/v1/accounts/{missing}", {"credit_limit": 5}), 404, "unknown_account"
        )
        body = exchange(world.a.accounts[0], missing)
        assert_problem(api.as_(world.a.broker).post("/v1/exchanges", body), 422, "unknown_account")
        path = f"/v1/exchanges/{uuid.uuid4()}/reverse"
        assert_problem(api.admin.post(path, {"reason": "typo"}), 404, "unknown_exchange")
        # An organisation is told no more of an unknown exchange than of another's (403).
        assert_problem(api.as_(world.a.broker).post(path, {"reason": "x"}), 403, "forbidden")
        unknown_org = {"role": "broker", "organisation": "no-such-org"}
        assert_problem(api.admin.post("/v1/keys", unknown_org), 422, "unknown_organisation")
        account = {"ref": "m", "organisation": "no-such-org"}
        assert_problem(api.admin.post("/v1/accounts", account), 422, "unknown_organisation")

    def test_limits(self, api: Api, world: World) -> None:
        broker = api.as_(world.a.broker)
        ann, bob = world.a.accounts
        body = assert_problem(
            broker.post("/v1/exchanges", exchange(ann, bob, 601)), 422, "credit_limit_exceeded"
        )
        assert body["account"] == bob

    def test_same_account(self, api: Api, world: World) -> None:
        ann = world.a.accounts[0]
        body = exchange(ann, ann)
        assert_problem(api.as_(world.a.broker).post("/v1/exchanges", body), 422, "same_account")

    def test_conflict(self, api: Api, world: World) -> None:
        again = {"id": world.a.id, "name": "again"}
        assert_problem(api.admin.post("/v1/organisations", again), 409, "conflict")
        ref = world.a.accounts[0].split(":")[1]
        assert_problem(api.as_(world.a.broker).post("/v1/accounts", {"ref": ref}), 409, "conflict")

    def test_forbidden(self, api: Api, world: World) -> None:
        body = exchange(*world.b.accounts)
        assert_problem(api.as_(world.a.broker).post("/v1/exchanges", body), 403, "forbidden")

    def test_unauthorised(self, api: Api, world: World) -> None:
        body = exchange(*world.a.accounts)
        for key in (None, "tbk_nobody_secret", world.a.broker + "x", "garbage"):
            response = api.as_(key).post("/v1/exchanges", body)
            assert_problem(response, 401, "unauthorised")
        basic = api.as_(None).post(
            "/v1/exchanges", body, headers={"Authorization": "Basic YWxhZGRpbjpzZXNhbWU="}
        )
        assert_problem(basic, 401, "unauthorised")

    def test_unknown_routes_methods_and_keys(self, api: Api) -> None:
        assert_problem(api.get("/v2/nothing"), 404, "not_found")
        assert_problem(api.admin.delete("/v1/keys/no-such-key"), 404, "not_found")
        wrong_method = api.request("PUT", "/v1/exchanges")
        assert_problem(wrong_method, 405, "method_not_allowed")
        assert "POST" in wrong_method.headers["allow"]

    def test_bodies_over_the_limit(self, api: Api, world: World) -> None:
        huge = b'{"note": "' + b"x" * (1024 * 1024) + b'"}'
        response = api.as_(world.a.broker).post(
            "/v1/exchanges", content=huge, headers={"Content-Type": "application/json"}
        )
        assert_problem(response, 413, "payload_too_large")

        def chunks() -> Iterator[bytes]:
            yield from (b"x" * 65536 for _ in range(20))

        streamed = api.as_(world.a.broker).post("/v1/exchanges", content=chunks())
        assert_problem(streamed, 413, "payload_too_large")


def test_max_balance(api: Api, world: World, event_log: Ledger) -> None:
    broker = api.as_(world.a.broker)
    capped = broker.created("/v1/accounts", {"ref": "capped", "max_balance": 30})["id"]
    before = event_log.head_position()
    refused = broker.post("/v1/exchanges", exchange(capped, world.a.accounts[0], 31))
    assert_problem(refused, 422, "max_balance_exceeded")
    assert event_log.head_position() == before


def test_pending_exchanges_cannot_be_reversed(api: Api, world: World) -> None:
    recorded = api.as_(world.a.broker).created(
        "/v1/exchanges", exchange(world.a.accounts[0], world.b.accounts[0])
    )
    path = f"/v1/exchanges/{recorded['id']}/reverse"
    assert_problem(api.admin.post(path, {"reason": "nope"}), 409, "conflict")


def test_a_read_past_what_the_read_models_hold_answers_unavailable(api: Api) -> None:
    response = api.admin.get("/v1/exchanges", params={"min_position": 10**12})
    assert_problem(response, 503, "unavailable")


def test_errors_leak_no_internals(api: Api, world: World) -> None:
    response = api.as_(world.a.broker).post(
        "/v1/exchanges", exchange(world.a.accounts[0], "no:such\x00account")
    )
    assert_problem(response, 422, "unknown_account")
    assert "Traceback" not in response.text
