"""Every error leaves as application/problem+json (RFC 9457) with a stable `code`."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from domain.errors import LedgerError

PROBLEM_MEDIA_TYPE = "application/problem+json"

# The status of each code, as the contract fixes it. The unknown_* codes are 422 when the
# id was named in the body and 404 when it was in the path (see `status_of`).
STATUS_BY_CODE: dict[str, int] = {
    "invalid_request": 422,
    "unknown_account": 422,
    "unknown_exchange": 422,
    "unknown_organisation": 422,
    "unknown_gift": 422,
    "credit_limit_exceeded": 422,
    "max_balance_exceeded": 422,
    "same_account": 422,
    "account_closed": 422,
    "not_pending": 409,
    "already_reversed": 409,
    "idempotency_key_reused": 409,
    "conflict": 409,
    "forbidden": 403,
    "unauthorised": 401,
    "rate_limited": 429,
    "unavailable": 503,
    "payload_too_large": 413,
    "not_found": 404,
    "invalid_cosignature": 422,
    "method_not_allowed": 405,
    "internal_error": 500,
}
PATH_PARAM_OF_CODE = {
    "unknown_account": "account_id",
    "unknown_exchange": "exchange_id",
    "unknown_organisation": "org",
    "unknown_gift": "gift_id",
}
TITLES: dict[str, str] = {
    "invalid_request": "The request is not valid",
    "unknown_account": "No such account",
    "unknown_exchange": "No such exchange",
    "unknown_organisation": "No such organisation",
    "unknown_gift": "No such gift",
    "credit_limit_exceeded": "The receiver would go below its credit limit",
    "max_balance_exceeded": "The giver would go above its maximum balance",
    "same_account": "Giver and receiver are the same account",
    "account_closed": "The account is closed",
    "not_pending": "The exchange is not pending",
    "already_reversed": "The exchange is already reversed",
    "idempotency_key_reused": "Idempotency-Key reused with a different request",
    "conflict": "The request conflicts with the current state",
    "forbidden": "This key may not do that",
    "unauthorised": "A valid key is needed",
    "rate_limited": "Too many requests",
    "unavailable": "The service is unavailable for now",
    "payload_too_large": "The request body is too large",
    "not_found": "No such resource",
    "invalid_cosignature": "No valid cosignature of a registered witness key",
    "method_not_allowed": "Method not allowed",
    "internal_error": "Internal server error",
}


class Unauthorised(LedgerError):
    code = "unauthorised"


class Unavailable(LedgerError):
    code = "unavailable"


class RateLimited(LedgerError):
    code = "rate_limited"


class Problem(BaseModel):
    """An error (RFC 9457). Switch on `code`; `detail` is for people."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": "/problems/credit_limit_exceeded",
                "title": TITLES["credit_limit_exceeded"],
                "status": 422,
                "detail": "acme:m-17 would go to -660 minutes, below its credit limit of -600",
                "code": "credit_limit_exceeded",
                "account": "acme:m-17",
            }
        },
    )

    type: str = Field(description="A URI reference naming the kind of problem")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable code", examples=["invalid_request"])
    index: int | None = Field(None, description="Batch requests: the 0-based failing item")
    field: str | None = Field(None, description="The offending field, when one is known")


def status_of(code: str, path_params: dict[str, Any]) -> int:
    """Unknown ids in the path are 404; unknown ids named in the body are 422."""
    param = PATH_PARAM_OF_CODE.get(code)
    if param is not None and param in path_params:
        return 404
    return STATUS_BY_CODE.get(code, 422)


def problem_body(code: str, status: int, detail: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": TITLES.get(code, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if k not in body and v is not None})
    return body


def problem(
    code: str,
    detail: str,
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    status = status or STATUS_BY_CODE.get(code, 422)
    body = problem_body(code, status, detail, **extra)
    return Response(
        orjson.dumps(body, default=str),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def problem_bytes(code: str, status: int, detail: str) -> bytes:
    """For middleware that answers before the application runs."""
    return orjson.dumps(problem_body(code, status, detail))
