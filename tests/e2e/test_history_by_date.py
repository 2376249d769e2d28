"""GET /v1/accounts/{id} as of a date: as recorded by then (`as_of`), or by service date
(`service_date_to`), for history recorded today with old service dates (a migration)."""

from __future__ import annotations

from tests.e2e.support import Api, World, assert_problem, exchange


def test_an_account_reads_by_service_date_and_as_recorded(api: Api, world: World) -> None:
    broker = api.as_(world.a.broker)
    giver, receiver = world.a.accounts
    written = broker.created(
        "/v1/exchanges", exchange(giver, receiver, 90, service_date="2025-03-14")
    )
    wait = {"min_position": written["position"]}

    by_service = broker.get(
        f"/v1/accounts/{giver}", params={**wait, "service_date_to": "2025-03-14"}
    )
    before = broker.get(f"/v1/accounts/{giver}", params={**wait, "service_date_to": "2025-03-13"})
    recorded = broker.get(f"/v1/accounts/{giver}", params={**wait, "as_of": "2025-03-14"})
    both = broker.get(
        f"/v1/accounts/{giver}", params={"as_of": "2025-03-14", "service_date_to": "2025-03-14"}
    )

    assert by_service.status_code == 200, by_service.text
    assert (by_service.json()["balance"], by_service.json()["given"]) == (90, 90)
    assert before.json()["balance"] == 0
    assert_problem(recorded, 404, "unknown_account")  # the ledger held no such account then
    assert_problem(both, 422, "invalid_request")
