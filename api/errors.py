"""One place that turns every failure into problem+json, so no handler improvises its own."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from typing import Any

import psycopg
import psycopg_pool
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from api.problems import problem, status_of
from domain.errors import LedgerError
from ledger.breaker import DatabaseUnavailable

log = logging.getLogger("timebank.api")

# Raised when the database cannot be reached or is busy beyond its lock timeout: the request
# may be retried, so it is 503 rather than 500.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    DatabaseUnavailable,
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
    sqlite3.OperationalError,
)
CODE_BY_HTTP_STATUS = {
    401: "unauthorised",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}
REPORTED_EXTRAS = ("index", "field", "account")


def ledger_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, LedgerError)
    extra = {k: error.extra[k] for k in REPORTED_EXTRAS if k in error.extra}
    headers = None
    if "retry_after" in error.extra:
        headers = {"Retry-After": str(error.extra["retry_after"])}
    status = status_of(error.code, request.path_params)
    return problem(error.code, error.detail, status=status, headers=headers, **extra)


def validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = [_describe(e) for e in error.errors()]
    first = errors[0] if errors else {"field": None, "message": "invalid request"}
    index = _batch_index(error.errors()[0]["loc"]) if errors else None
    message = str(first["message"])
    detail = f"{first['field']}: {message}" if first["field"] else message
    return problem("invalid_request", detail, field=first["field"], index=index, errors=errors[:20])


def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    # FastAPI answers a body it cannot parse with 400; the contract says 422 invalid_request.
    code = CODE_BY_HTTP_STATUS.get(error.status_code, "invalid_request")
    status = error.status_code if code != "invalid_request" else 422
    headers = dict(error.headers) if error.headers else None
    return problem(code, str(error.detail), status=status, headers=headers)


def unavailable(request: Request, error: Exception) -> Response:
    log.warning("database unavailable: %s: %s", type(error).__name__, error)
    return problem(
        "unavailable",
        "the database is not answering; try again shortly",
        headers={"Retry-After": "1"},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, ledger_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    for kind in UNAVAILABLE_ERRORS:
        app.add_exception_handler(kind, unavailable)


def _describe(error: Any) -> dict[str, Any]:
    loc = [
        str(part)
        for part in error.get("loc", ())
        if part not in ("body", "query", "path", "header")
    ]
    if error.get("type") == "json_invalid":
        reason = error.get("ctx", {}).get("error")
        message = (
            f"the body is not valid JSON ({reason})" if reason else "the body is not valid JSON"
        )
        return {"field": None, "message": message}
    if not loc and error.get("type") in ("model_attributes_type", "dict_type", "missing"):
        message = "the body must be a JSON object, sent as Content-Type: application/json"
        return {"field": None, "message": message}
    return {"field": ".".join(loc) or None, "message": str(error.get("msg", "invalid"))}


def _batch_index(loc: Sequence[Any]) -> int | None:
    if len(loc) >= 3 and loc[0] == "body" and loc[1] == "exchanges" and isinstance(loc[2], int):
        return loc[2]
    return None
