"""What an operator and a partner's developer see beside the ledger itself."""

from __future__ import annotations

import re

import pytest

from tests.e2e.support import Api, World, exchange

CONTRACT_PATHS = {
    ("post", "/v1/organisations"),
    ("get", "/v1/organisations/{org}"),
    ("post", "/v1/keys"),
    ("delete", "/v1/keys/{key_id}"),
    ("post", "/v1/accounts"),
    ("get", "/v1/accounts/{account_id}"),
    ("patch", "/v1/accounts/{account_id}"),
    ("get", "/v1/accounts/{account_id}/statement"),
    ("get", "/v1/accounts/{account_id}/reciprocity"),
    ("post", "/v1/accounts/{account_id}/close"),
    ("post", "/v1/exchanges"),
    ("get", "/v1/exchanges"),
    ("post", "/v1/exchanges/batch"),
    ("get", "/v1/exchanges/{exchange_id}"),
    ("post", "/v1/exchanges/{exchange_id}/confirm"),
    ("post", "/v1/exchanges/{exchange_id}/reject"),
    ("post", "/v1/exchanges/{exchange_id}/reverse"),
    ("get", "/v1/organisations/{org}/summary"),
    ("get", "/v1/audit/events"),
    ("get", "/v1/audit/checkpoints"),
    ("get", "/v1/audit/checkpoints/latest"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
}


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        found = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if found and ",".join(sorted((found.group(1) or "").split(","))) == wanted:
            return float(found.group(2))
    return 0.0


def test_health_needs_no_key(api: Api) -> None:
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.usefixtures("reads")
def test_ready_once_the_read_models_have_caught_up(api: Api, world: World) -> None:
    written = api.as_(world.a.broker).created("/v1/exchanges", exchange(*world.a.accounts, 3))
    api.admin.get("/v1/exchanges", params={"min_position": written["position"], "limit": 1})
    response = api.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["as_of_position"] >= written["position"]


def test_metrics_count_requests_by_route_template_and_exchanges_recorded(
    api: Api, world: World
) -> None:
    scraper = api.as_(world.auditor)
    before = scraper.get("/metrics").text
    account = world.a.accounts[0]
    api.as_(world.a.broker).patch(f"/v1/accounts/{account}", {"credit_limit": 60})
    api.as_(world.a.broker).created("/v1/exchanges", exchange(*world.a.accounts, 5))
    after = scraper.get("/metrics").text
    assert account not in after  # raw paths would make one series per account
    route = {"method": "PATCH", "route": "/v1/accounts/{account_id}", "status": "200"}
    counted = metric(after, "timebank_http_requests_total", **route)
    assert counted == metric(before, "timebank_http_requests_total", **route) + 1
    recorded = metric(after, "timebank_exchanges_recorded_total", status="completed")
    assert recorded == metric(before, "timebank_exchanges_recorded_total", status="completed") + 1
    assert metric(after, "timebank_event_log_position") > 0
    assert "timebank_http_request_duration_seconds_bucket" in after


def test_responses_carry_security_headers_and_a_request_id(api: Api) -> None:
    response = api.get("/v1/exchanges", headers={"X-Request-ID": "trace-42"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-request-id"] == "trace-42"
    assert len(api.get("/healthz").headers["x-request-id"]) == 32


def test_the_docs_describe_every_endpoint_of_the_contract(api: Api) -> None:
    page = api.get("/docs").text
    assert "swagger" in page.lower()
    assert "cdn." not in page  # works offline: its script comes from this server
    assert api.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert "redoc" in api.get("/redoc").text.lower()
    schema = api.get("/openapi.json").json()
    documented = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert documented >= CONTRACT_PATHS
    assert schema["components"]["securitySchemes"]["key"]["scheme"].lower() == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert operation.get("description"), (method, path)
            assert operation.get("tags"), (method, path)
    problem = schema["paths"]["/v1/exchanges"]["post"]["responses"]["422"]["content"]
    assert list(problem) == ["application/problem+json"]


@pytest.mark.usefixtures("reads")
def test_a_read_with_min_position_sees_the_write_it_follows(api: Api, world: World) -> None:
    written = api.as_(world.a.broker).created("/v1/exchanges", exchange(*world.a.accounts, 7))
    read = api.as_(world.a.broker).get(
        f"/v1/exchanges/{written['id']}", params={"min_position": written["position"]}
    )
    assert read.status_code == 200, read.text
    assert read.json()["as_of_position"] >= written["position"]
