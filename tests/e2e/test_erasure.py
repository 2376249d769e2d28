"""Erasure over HTTP: notes read back in clear until the account is erased, then null, in
both organisations; a second request erases nothing more and says so; no log line of the
server ever carried the text."""

from __future__ import annotations

from tests.e2e.support import Api, Server, World, assert_problem, exchange

NOTE = "canary-e2e-note: took Mrs B to the food bank"
REASON = "canary-e2e-reason: she was not home"
NAME = "Canary E2E Person"


def test_an_erased_account_s_notes_read_null_everywhere_and_nothing_is_left_to_erase(
    api: Api, world: World, server: Server, reads: None
) -> None:
    a0, b0 = world.a.accounts[0], world.b.accounts[0]
    broker_a, broker_b = api.as_(world.a.broker), api.as_(world.b.broker)
    shared = broker_a.created("/v1/exchanges", exchange(a0, b0, 15, note=NOTE))
    assert shared["note"] == NOTE
    rejected = broker_b.post(f"/v1/exchanges/{shared['id']}/reject", {"reason": REASON})
    assert rejected.status_code == 200, rejected.text
    assert broker_a.put(f"/v1/accounts/{a0}/profile", {"display_name": NAME}).status_code == 200
    params = {"min_position": rejected.json()["position"]}
    for reader in (broker_a, broker_b):
        read = reader.get(f"/v1/exchanges/{shared['id']}", params=params).json()
        assert (read["note"], read["note_erased"]) == (NOTE, False)
    audit = api.as_(world.auditor).get("/v1/audit/events", params={"limit": 1000})
    assert NOTE not in audit.text
    assert REASON not in audit.text

    erased = broker_a.post(f"/v1/accounts/{a0}/erase", {"request_ref": "DSAR-7"})
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert (body["account"], body["notes_erased"], body["already_erased"]) == (a0, 1, False)

    params = {"min_position": body["position"]}
    for reader in (broker_a, broker_b):
        read = reader.get(f"/v1/exchanges/{shared['id']}", params=params).json()
        assert (read["note"], read["note_erased"]) == (None, True)
    assert broker_a.get(f"/v1/accounts/{a0}").json()["display_name"] is None
    again = broker_a.post(f"/v1/accounts/{a0}/erase").json()
    assert (again["notes_erased"], again["already_erased"]) == (0, True)
    assert again["position"] == body["position"]
    for text in (NOTE, REASON, NAME):
        assert text not in server.output()


def test_an_erasure_names_its_request_by_a_reference_of_bounded_printable_text(
    api: Api, world: World
) -> None:
    account = world.a.accounts[0]
    for bad in ("", "x" * 101, "a\x00b"):
        refused = api.as_(world.a.broker).post(
            f"/v1/accounts/{account}/erase", {"request_ref": bad}
        )
        assert_problem(refused, 422, "invalid_request")
    too_long = api.as_(world.a.broker).put(
        f"/v1/accounts/{account}/profile", {"display_name": "n" * 101}
    )
    assert_problem(too_long, 422, "invalid_request")
