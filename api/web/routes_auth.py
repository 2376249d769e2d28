"""Signing in and out, and where a visitor lands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import LedgerDep, ReadModelsDep, SettingsDep
from api.ratelimit import Limits
from api.web.access import VisitorDep
from api.web.pages import render, see_other
from api.web.session import (
    ROLES,
    Session,
    TooManyRequests,
    clear_session,
    read_form,
    session_of,
    set_session,
)
from ledger import Ledger, Principal
from projections import broker_reads

router = APIRouter(prefix="/app", include_in_schema=False)
FormDep = Annotated[dict[str, str], Depends(read_form)]
WRONG_ROLE = (
    "This is {role} key. These pages are for broker keys (one organisation) and auditor keys"
    " (every organisation, read only)."
)


@router.get("")
def home(visitor: VisitorDep) -> Response:
    if visitor.organisation is not None:
        return see_other(f"/app/o/{visitor.organisation}")
    return see_other("/app/organisations")


@router.get("/sign-in")
def sign_in_page(
    request: Request,
    next_: Annotated[str, Query(alias="next", max_length=2000)] = "",
    signed_out: bool = False,
) -> Response:
    """The form starts an anonymous session, so that its CSRF token can be checked too."""
    session = session_of(request)
    fresh = session is None
    session = Session.new() if session is None else session
    response = render(
        request,
        "sign_in.html",
        None,
        session=session,
        next=_safe_next(next_),
        errors={},
        signed_out=signed_out,
    )
    if fresh:
        set_session(request, response, session)
    return response


@router.post("/sign-in")
def sign_in(request: Request, form: FormDep, ledger: LedgerDep, settings: SettingsDep) -> Response:
    limits: Limits = request.app.state.limits
    if (wait := limits.before_authentication(request)) is not None:
        raise TooManyRequests(wait)
    key, target = form.get("key", "").strip(), _safe_next(form.get("next", ""))
    principal = ledger.authenticate(key, admin_key=settings.admin_key) if key else None
    error = _refusal(key, principal)
    if error is not None or principal is None:
        limits.failed_authentication(request)
        return render(request, "sign_in.html", None, 422, next=target, errors={"key": error})
    _end(request, ledger)
    response = see_other(target or "/app")
    # A new session id at sign-in: a cookie (and CSRF token) planted before it is worthless.
    set_session(request, response, Session(ledger.start_session(principal)))
    return response


@router.post("/sign-out")
def sign_out(request: Request, form: FormDep, ledger: LedgerDep) -> Response:
    """The session ends on the server: the same cookie, replayed, is signed out."""
    _end(request, ledger)
    response = see_other("/app/sign-in?signed_out=1")
    clear_session(request, response)
    return response


def _refusal(key: str, principal: Principal | None) -> str | None:
    if not key:
        return "Enter your key."
    if principal is None:
        return "This key is not known, or it has been revoked. Check that it was copied whole."
    if principal.role not in ROLES:
        return WRONG_ROLE.format(role="an admin" if principal.role == "admin" else "a poster")
    return None


def _end(request: Request, ledger: Ledger) -> None:
    session = session_of(request)
    if session is not None:
        ledger.end_session(session.token)


@router.get("/organisations")
def organisations(
    request: Request,
    visitor: VisitorDep,
    models: ReadModelsDep,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    if visitor.organisation is not None:
        return see_other(f"/app/o/{visitor.organisation}")
    rows, next_ = broker_reads.organisations(models.view, after, 50)
    return render(request, "organisations.html", visitor, rows=rows, next=next_)


def _safe_next(target: str) -> str:
    """Only a page of this site: never an address elsewhere (no open redirect)."""
    if target.startswith("/app") and not target.startswith("//") and "\\" not in target:
        return target
    return ""
