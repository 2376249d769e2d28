"""The webhooks page: a broker sees where each endpoint stands and enables a disabled one;
auditors and other organisations' brokers see nothing of it."""

from __future__ import annotations

from typing import Any

from ledger import ExchangeRequest
from projections.webhooks.table import Attempt, WebhookTable
from tests.integration.web_support import ORG, MakeLedger, Pages, pages_of, token_of

URL = "https://93.184.215.14/timebank?token=partner-own"
PAGE = f"/app/o/{ORG}/webhooks"


def table_of(pages: Pages) -> WebhookTable:
    return WebhookTable(pages.client.app.state.read_models.view)  # type: ignore[attr-defined]


def failing_endpoint(pages: Pages) -> tuple[WebhookTable, dict[str, Any], int]:
    """An endpoint disabled by its first failure, on a change recorded after it."""
    table = table_of(pages)
    endpoint = table.add(ORG, URL, ["exchange.recorded"], lambda webhook_id: "sealed")
    position = pages.ledger.record_exchange(
        ORG, ExchangeRequest(f"{ORG}:ann", f"{ORG}:bob", 30)
    ).position
    failed = Attempt(
        position, f"chg_{position}", delivered=False, http_status=500, error="HTTP 500"
    )
    table.record(endpoint, failed, pause=60, disable_after=1)
    return table, endpoint, position


def is_enabled(table: WebhookTable, webhook_id: str) -> bool:
    row = table.get(ORG, webhook_id)
    assert row is not None
    return bool(row["enabled"])


def enable(pages: Pages, webhook_id: str, token: str) -> Any:
    return pages.client.post(f"{PAGE}/{webhook_id}/enable", data={"csrf_token": token})


def test_a_broker_sees_a_disabled_endpoint_and_enables_it_again(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger()) as pages:
        table, endpoint, position = failing_endpoint(pages)
        pages.sign_in()
        shown = pages.client.get(PAGE)
        assert shown.status_code == 200
        for fact in (URL, "exchange.recorded", "disabled"):
            assert fact in shown.text
        assert "HTTP 500" in shown.text
        assert "nothing yet" in shown.text
        assert "Enable again" in shown.text

        answer = enable(pages, endpoint["id"], token_of(shown))
        assert answer.status_code == 303
        after = pages.client.get(answer.headers["location"])
        assert "delivering" in after.text
        assert "Enable again" not in after.text
        assert is_enabled(table, endpoint["id"])

        # The retry after enabling succeeds: it is logged, and the page says so.
        again = table.get(ORG, endpoint["id"]) or {}
        table.record(again, Attempt(position, f"chg_{position}", delivered=True), 1, 1)
        assert f"change {position}" in pages.client.get(PAGE).text


def test_no_endpoint_is_enabled_without_the_pages_own_form(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger()) as pages:
        table, endpoint, _ = failing_endpoint(pages)
        pages.sign_in()
        assert enable(pages, endpoint["id"], "0" * 32).status_code == 403
        assert not is_enabled(table, endpoint["id"])
        unknown = enable(pages, "wh_0000000000000000", token_of(pages.client.get(PAGE)))
        assert unknown.status_code == 404


def test_an_auditor_sees_neither_the_page_nor_its_link(make_ledger: MakeLedger) -> None:
    ledger = make_ledger()
    with pages_of(ledger) as pages:
        failing_endpoint(pages)
        pages.sign_in(ledger.issue_key("auditor").key)
        assert "/webhooks" not in pages.client.get(f"/app/o/{ORG}").text
        refused = pages.client.get(PAGE)
        assert refused.status_code == 403
        assert URL not in refused.text


def test_another_organisations_broker_can_neither_see_nor_enable_them(
    make_ledger: MakeLedger,
) -> None:
    ledger = make_ledger()
    with pages_of(ledger) as pages:
        table, endpoint, _ = failing_endpoint(pages)
        ledger.register_organisation("south", "South")
        pages.sign_in(ledger.issue_key("broker", "south").key)
        token = token_of(pages.client.get("/app/o/south/webhooks"))
        assert pages.client.get(PAGE).status_code == 403
        assert enable(pages, endpoint["id"], token).status_code == 403
        elsewhere = pages.client.post(
            f"/app/o/south/webhooks/{endpoint['id']}/enable", data={"csrf_token": token}
        )
        assert elsewhere.status_code == 404
        assert not is_enabled(table, endpoint["id"])
