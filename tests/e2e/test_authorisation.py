"""Who may do what: every role of two organisations against every endpoint.

Allowed calls succeed. Forbidden ones get 401 (no usable key) or 403 (a key without the
right) and record nothing. The target of every call belongs to organisation A.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ledger import Ledger
from tests.e2e.support import Api, Server, World, assert_problem, build_world, exchange, new_id

NO_KEY = ("anonymous", "unknown", "revoked")
ROLES = (*NO_KEY, "admin", "auditor", "broker_a", "poster_a", "broker_b", "poster_b")
READERS_OF_A = {"admin", "auditor", "broker_a"}
WRITERS_A = {"broker_a", "poster_a"}
WRITERS_B = {"broker_b", "poster_b"}


@dataclass
class Keys:
    world: World
    keys: dict[str, str | None]


@pytest.fixture(scope="module")
def keys(server: Server) -> Iterator[Keys]:
    with Api(server) as api:
        world = build_world(api)
        revoked = api.admin.created("/v1/keys", {"role": "broker", "organisation": world.a.id})
        assert api.admin.delete(f"/v1/keys/{revoked['id']}").status_code == 204
        yield Keys(
            world,
            {
                "anonymous": None,
                "unknown": "tbk_0000000000000000_not-a-real-secret",
                "revoked": revoked["key"],
                "admin": server.admin_key,
                "auditor": world.auditor,
                "broker_a": world.a.broker,
                "poster_a": world.a.poster,
                "broker_b": world.b.broker,
                "poster_b": world.b.poster,
            },
        )


Prepare = Callable[[Api, World], Any]
Call = Callable[[Api, World, Any], httpx.Response]


@dataclass(frozen=True)
class Case:
    allowed: frozenset[str]
    call: Call
    prepare: Prepare = lambda api, world: None
    read: bool = False


def pending_from_a(api: Api, world: World) -> str:
    body = exchange(world.a.accounts[0], world.b.accounts[0], 1)
    return str(api.as_(world.a.broker).created("/v1/exchanges", body)["id"])


def completed_in_a(api: Api, world: World) -> str:
    body = exchange(*world.a.accounts, 1)
    return str(api.as_(world.a.poster).created("/v1/exchanges", body)["id"])


def fresh_account(api: Api, world: World) -> str:
    return str(api.as_(world.a.broker).created("/v1/accounts", {"ref": new_id("m")})["id"])


def fresh_key(api: Api, world: World) -> str:
    return str(api.admin.created("/v1/keys", {"role": "poster", "organisation": world.a.id})["id"])


CASES: dict[str, Case] = {
    "register organisation": Case(
        frozenset({"admin"}),
        lambda api, w, _: api.post("/v1/organisations", {"id": new_id(), "name": "New"}),
    ),
    "issue key": Case(
        frozenset({"admin"}),
        lambda api, w, _: api.post("/v1/keys", {"role": "poster", "organisation": w.a.id}),
    ),
    "revoke key": Case(
        frozenset({"admin"}), lambda api, w, key: api.delete(f"/v1/keys/{key}"), fresh_key
    ),
    "open account": Case(
        frozenset({"admin", *WRITERS_A}),
        lambda api, w, _: api.post("/v1/accounts", {"ref": new_id("m"), "organisation": w.a.id}),
    ),
    "change limits": Case(
        frozenset({"admin", "broker_a"}),
        lambda api, w, _: api.patch(f"/v1/accounts/{w.a.accounts[0]}", {"credit_limit": 700}),
    ),
    "close account": Case(
        frozenset({"admin", "broker_a"}),
        lambda api, w, account: api.post(f"/v1/accounts/{account}/close"),
        fresh_account,
    ),
    "set display name": Case(
        frozenset({"admin", "broker_a"}),
        lambda api, w, _: api.put(f"/v1/accounts/{w.a.accounts[0]}/profile", {"display_name": "A"}),
    ),
    "erase personal data": Case(
        frozenset({"admin", "broker_a"}),
        lambda api, w, account: api.post(f"/v1/accounts/{account}/erase", {"request_ref": "r-1"}),
        fresh_account,
    ),
    "record exchange": Case(
        frozenset(WRITERS_A),
        lambda api, w, _: api.post("/v1/exchanges", exchange(*w.a.accounts, 1)),
    ),
    "record batch": Case(
        frozenset(WRITERS_A),
        lambda api, w, _: api.post(
            "/v1/exchanges/batch", {"exchanges": [exchange(*w.a.accounts, 1)]}
        ),
    ),
    "confirm": Case(
        frozenset(WRITERS_B),
        lambda api, w, x: api.post(f"/v1/exchanges/{x}/confirm"),
        pending_from_a,
    ),
    "reject": Case(
        frozenset(WRITERS_B),
        lambda api, w, x: api.post(f"/v1/exchanges/{x}/reject", {"reason": "unknown to us"}),
        pending_from_a,
    ),
    "reverse": Case(
        frozenset({"admin", *WRITERS_A}),
        lambda api, w, x: api.post(f"/v1/exchanges/{x}/reverse", {"reason": "mistake"}),
        completed_in_a,
    ),
    "read organisation": Case(
        frozenset({*READERS_OF_A, "poster_a"}),
        lambda api, w, _: api.get(f"/v1/organisations/{w.a.id}"),
        read=True,
    ),
    "list accounts": Case(
        frozenset(READERS_OF_A),
        lambda api, w, _: api.get(f"/v1/organisations/{w.a.id}/accounts"),
        read=True,
    ),
    "list pending": Case(
        frozenset(READERS_OF_A),
        lambda api, w, _: api.get(f"/v1/organisations/{w.a.id}/pending"),
        read=True,
    ),
    "read account": Case(
        frozenset(READERS_OF_A),
        lambda api, w, _: api.get(f"/v1/accounts/{w.a.accounts[0]}"),
        read=True,
    ),
    "read statement": Case(
        frozenset(READERS_OF_A),
        lambda api, w, _: api.get(f"/v1/accounts/{w.a.accounts[0]}/statement"),
        read=True,
    ),
    "read reciprocity": Case(
        frozenset(READERS_OF_A),
        lambda api, w, _: api.get(f"/v1/accounts/{w.a.accounts[0]}/reciprocity"),
        read=True,
    ),
    "read summary": Case(
        frozenset(READERS_OF_A),
        lambda api, w, _: api.get(f"/v1/organisations/{w.a.id}/summary"),
        read=True,
    ),
    "read exchange": Case(
        frozenset({*READERS_OF_A, "poster_a"}),
        lambda api, w, x: api.get(f"/v1/exchanges/{x}"),
        completed_in_a,
        read=True,
    ),
    "list exchanges": Case(
        frozenset({"admin", "auditor", *WRITERS_A, *WRITERS_B}),
        lambda api, w, _: api.get("/v1/exchanges"),
        read=True,
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", CASES)
def test_each_role_may_do_exactly_what_the_contract_allows(
    request: pytest.FixtureRequest,
    api: Api,
    keys: Keys,
    event_log: Ledger,
    action: str,
    role: str,
) -> None:
    case = CASES[action]
    if case.read:
        request.getfixturevalue("reads")
    target = case.prepare(api, keys.world)
    before = event_log.head_position()
    if case.read:  # read your writes: wait until the read models hold what was just made
        wait = api.admin.get("/v1/exchanges", params={"min_position": before, "limit": 1})
        assert wait.status_code == 200, wait.text
    response = case.call(api.as_(keys.keys[role]), keys.world, target)
    if role in case.allowed:
        assert 200 <= response.status_code < 300, response.text
        return
    if role in NO_KEY:
        assert_problem(response, 401, "unauthorised")
    else:
        assert_problem(response, 403, "forbidden")
    assert event_log.head_position() == before


def blanked(response: httpx.Response, *ids: str) -> tuple[int, str, str]:
    """Status, code and detail of a refusal, with the ids asked about blanked out."""
    body = response.json()
    detail = str(body["detail"])
    for id_ in ids:
        detail = detail.replace(id_, "ID")
    return response.status_code, body["code"], detail


@pytest.mark.parametrize("writer", ["broker", "poster"])
def test_recording_for_two_other_organisations_is_forbidden_whichever_accounts_exist(
    api: Api, world: World, event_log: Ledger, writer: str
) -> None:
    outsider = api.as_(getattr(world.b, writer))
    a0, a1 = world.a.accounts
    missing = f"{world.a.id}:nobody"
    before = event_log.head_position()
    for giver, receiver in ((a0, a1), (a0, missing), (missing, a1), (missing, "c-x:nobody")):
        single = outsider.post("/v1/exchanges", exchange(giver, receiver, 1))
        assert_problem(single, 403, "forbidden")
        assert "nobody" not in single.text
        items = [exchange(world.b.accounts[0], a0, 1), exchange(giver, receiver, 1)]
        batch = outsider.post("/v1/exchanges/batch", {"exchanges": items})
        assert assert_problem(batch, 403, "forbidden")["index"] == 1
    assert event_log.head_position() == before


def test_another_organisations_account_is_forbidden_whether_or_not_it_exists(
    api: Api, world: World, event_log: Ledger
) -> None:
    broker_b = api.as_(world.b.broker)
    existing, missing = world.a.accounts[0], f"{world.a.id}:nobody"
    before = event_log.head_position()
    for change in (
        lambda account: broker_b.patch(f"/v1/accounts/{account}", {"credit_limit": 0}),
        lambda account: broker_b.post(f"/v1/accounts/{account}/close"),
    ):
        there, not_there = change(existing), change(missing)
        assert_problem(there, 403, "forbidden")
        assert blanked(there, existing) == blanked(not_there, missing)
    assert event_log.head_position() == before


def test_display_names_are_for_the_organisations_brokers_and_the_operator_only(
    api: Api, keys: Keys, reads: None
) -> None:
    account = keys.world.a.accounts[1]
    named = api.as_(keys.keys["broker_a"]).put(
        f"/v1/accounts/{account}/profile", {"display_name": "Canary Name"}
    )
    assert named.json() == {"id": account, "display_name": "Canary Name"}
    seen = {
        role: api.as_(keys.keys[role]).get(f"/v1/accounts/{account}").json()["display_name"]
        for role in READERS_OF_A
    }
    assert seen == {"admin": "Canary Name", "broker_a": "Canary Name", "auditor": None}
    for outsider in ("broker_b", "auditor"):
        listed = api.as_(keys.keys[outsider]).get(f"/v1/organisations/{keys.world.a.id}/accounts")
        assert "Canary Name" not in listed.text


@pytest.mark.parametrize("outsider", ["broker", "poster"])
def test_an_exchange_the_caller_may_not_read_answers_the_same_whether_or_not_it_exists(
    api: Api, world: World, reads: None, outsider: str
) -> None:
    written = api.as_(world.a.poster).created("/v1/exchanges", exchange(*world.a.accounts, 1))
    existing, position, missing = written["id"], written["position"], str(uuid.uuid4())
    key = api.as_(getattr(world.b, outsider))
    reason = {"reason": "not ours"}
    for call in (
        lambda x: key.get(f"/v1/exchanges/{x}", params={"min_position": position}),
        lambda x: key.post(f"/v1/exchanges/{x}/confirm"),
        lambda x: key.post(f"/v1/exchanges/{x}/reject", reason),
        lambda x: key.post(f"/v1/exchanges/{x}/reverse", reason),
    ):
        there, not_there = call(existing), call(missing)
        assert_problem(there, 403, "forbidden")
        assert blanked(there, existing) == blanked(not_there, missing)
    assert_problem(api.admin.get(f"/v1/exchanges/{missing}"), 404, "unknown_exchange")


def test_a_refused_confirm_tells_no_figure_of_the_other_organisations_member(
    api: Api, world: World
) -> None:
    a0, a1 = world.a.accounts
    api.as_(world.a.broker).created("/v1/exchanges", exchange(a0, a1, 550))  # a1: -550 of -600
    pending = api.as_(world.a.broker).created(
        "/v1/exchanges", exchange(world.b.accounts[0], a1, 80)
    )

    refused = api.as_(world.b.broker).post(f"/v1/exchanges/{pending['id']}/confirm")

    body = assert_problem(refused, 422, "credit_limit_exceeded")
    assert body["account"] == a1
    assert "630" not in body["detail"]
    assert "600" not in body["detail"]
