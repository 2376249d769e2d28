"""The words partners read at /docs: what the API is for and how its errors look."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.problems import PROBLEM_MEDIA_TYPE, TITLES, Problem

TITLE = "Timebank Ledger API"
DESCRIPTION = """
A shared, auditable record of time given and received between the members of partner
organisations. An hour is an hour whatever the work: credits are counted in whole **minutes**.
The giver earns, the receiver spends; every balance is earned minus spent.

**Keys.** Send `Authorization: Bearer <key>`. The operator's admin key registers organisations
and issues keys: `broker` (reads and writes for one organisation), `poster` (writes for one
organisation, reads only what it posted), `auditor` (reads everything, writes nothing).
A missing or unknown key gets 401, a key without the right 403.

**Errors** are `application/problem+json` with a stable `code` to switch on (see the Problem
schema). A refused request changes nothing.

**Retries.** Send an `Idempotency-Key` header with each exchange or batch: the same key with the
same body returns the first answer again and records nothing new, even after a restart.

**Read your writes.** Every write answers with `position`. Pass it to any read as
`min_position` to wait until the read models have caught up; every read answers with
`as_of_position`. Lists page with `after` (the `next` of the previous page) and `limit`.
"""

TAGS: list[dict[str, Any]] = [
    {"name": "organisations", "description": "Partner organisations (the operator)."},
    {"name": "keys", "description": "Access keys: shown once, revocable at once (the operator)."},
    {"name": "accounts", "description": "One account per participant, on the same terms."},
    {"name": "exchanges", "description": "Time given and received, within and across partners."},
    {"name": "gifts", "description": "Credits passed on: balances move, no time given."},
    {
        "name": "reports",
        "description": "Figures for funders: summaries and participation by organisation.",
    },
    {"name": "audit", "description": "The hash-chained event log and its signed checkpoints."},
    {
        "name": "operations",
        "description": "Health and readiness (no key needed); metrics (an admin or auditor key).",
    },
]

STATUS_CODES: dict[int, tuple[str, ...]] = {
    401: ("unauthorised",),
    403: ("forbidden",),
    404: ("unknown_account", "unknown_exchange", "unknown_organisation"),
    409: ("conflict", "not_pending", "already_reversed", "idempotency_key_reused"),
    413: ("payload_too_large",),
    422: (
        "invalid_request",
        "unknown_account",
        "same_account",
        "account_closed",
        "credit_limit_exceeded",
        "max_balance_exceeded",
    ),
    429: ("rate_limited",),
    503: ("unavailable",),
}
# Every route can answer these: no key, a bad request, the database away.
ALWAYS = (401, 413, 422, 429, 503)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry documenting the problems a route may answer with."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*ALWAYS, *statuses}):
        codes = ", ".join(f"`{code}`" for code in STATUS_CODES.get(status, ()))
        first = STATUS_CODES.get(status, ("invalid_request",))[0]
        documented[status] = {
            "model": Problem,
            "description": f"{TITLES[first]} ({codes})" if codes else TITLES[first],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    documented[429]["headers"] = {
        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
    }
    return documented


def problem_schema(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with errors documented as application/problem+json only."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[:1] in "45" and PROBLEM_MEDIA_TYPE in content:
                        content.pop("application/json", None)
        app.openapi_schema = schema
    return app.openapi_schema
