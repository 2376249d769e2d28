"""/metrics tells how busy each route is and how far the read models are: an admin or auditor
key reads it, nobody else, unless the operator opens it for a scraper on a private network."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from ledger import Ledger, parse_database_url

ADMIN = "operator-key-for-metrics-tests"


def client_for(ledger: Ledger, **settings: bool) -> TestClient:
    return TestClient(create_app(ledger, settings=ApiSettings(admin_key=ADMIN, **settings)))


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    ledger = Ledger(parse_database_url("memory://"))
    ledger.register_organisation("north", "North")
    yield ledger
    ledger.close()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_metrics_need_an_admin_or_auditor_key_by_default(ledger: Ledger) -> None:
    auditor = ledger.issue_key("auditor").key
    broker = ledger.issue_key("broker", "north").key
    with client_for(ledger) as client:
        anonymous = client.get("/metrics")
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "unauthorised"
        assert "timebank_" not in anonymous.text
        refused = client.get("/metrics", headers=bearer(broker))
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        for key in (auditor, ADMIN):
            answered = client.get("/metrics", headers=bearer(key))
            assert answered.status_code == 200
            assert "timebank_http_requests_total" in answered.text


def test_metrics_opened_by_the_operator_need_no_key(ledger: Ledger) -> None:
    with client_for(ledger, metrics_public=True) as client:
        answered = client.get("/metrics")
    assert answered.status_code == 200
    assert "timebank_http_requests_total" in answered.text


@pytest.mark.parametrize(
    ("value", "public"),
    [("true", True), ("1", True), ("YES", True), ("false", False), ("", False), ("ture", False)],
)
def test_only_a_clear_yes_opens_the_metrics(
    value: str, public: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMEBANK_METRICS_PUBLIC", value)
    assert ApiSettings.from_env().metrics_public is public
