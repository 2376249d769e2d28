"""Schemathesis against the app's own OpenAPI document: no 5xx, no answer the schema denies.

It runs in-process (over ASGI) on the in-memory store, with a small seeded world, so the examples
in the schema (riverside:m-0042 gives to riverside:m-0107) reach the ledger and succeed.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.settings import ApiSettings
from ledger import Ledger, parse_database_url
from projections import open_read_models
from projections.audit_log import AuditLog

ADMIN_KEY = "schema-test-admin-key"


def no_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx, except the contract's own 503 for a read that asks for a position the read
    models have not reached (and never will, in a test that records nothing more)."""
    waited_for = max((_as_int((case.query or {}).get(name)) for name in WAITS), default=-1)
    if response.status_code == 503 and waited_for > APP.state.ledger.head_position():
        assert response.json()["code"] == "unavailable"
        return None
    return not_a_server_error(ctx, response, case)


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


CHECKS = [
    no_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# Operations that only the operator may call; every other call is made as riverside's broker.
ADMIN_OPERATIONS = ("/v1/organisations", "/v1/keys", "/v1/audit")
EXAMPLES = 25
WAITS = ("min_position", "at_position")


def seeded_app() -> tuple[Any, dict[str, str]]:
    """Made at import, because schemathesis reads the schema while pytest collects tests; the
    in-memory store leaves nothing behind."""
    ledger = Ledger(parse_database_url("memory://"))
    ledger.register_organisation("riverside", "Riverside Timebank")
    for ref in ("m-0042", "m-0107"):
        ledger.open_account("riverside", ref)
    broker = ledger.issue_key("broker", "riverside").key
    read_models = open_read_models(ledger)  # in memory: projected in threads of this process
    app = create_app(
        ledger,
        read_models,
        audit_log=AuditLog(ledger.recorder, read_models.view),
        settings=ApiSettings(admin_key=ADMIN_KEY, read_wait_seconds=0.2),
    )
    return app, {"admin": ADMIN_KEY, "broker": broker}


APP, KEYS = seeded_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_own_schema(case: Any) -> None:
    role = "admin" if case.path.startswith(ADMIN_OPERATIONS) else "broker"
    # Generated keys are swapped for real ones; a case that leaves the key out on purpose
    # (to see it refused) is sent without one.
    if "Authorization" in (case.headers or {}):
        case.headers["Authorization"] = f"Bearer {KEYS[role]}"
    case.call_and_validate(checks=CHECKS)
