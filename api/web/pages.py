"""Rendering: the templates, their filters, and the pages for refusals and sign-in redirects."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.web.session import (
    CSRF_FIELD,
    NotFound,
    Refused,
    Session,
    SignInRequired,
    TooManyRequests,
    Visitor,
    session_of,
)

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
# The pages need their own stylesheet and nothing else: no scripts, no inline styles.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
MINUS = "\u2212"


def duration(minutes: int | None, signed: bool = False) -> str:
    """Minutes as people say them: "1 h 30 min", "45 min", and negative
    ones with a true minus sign."""
    if minutes is None:
        return ""
    sign = MINUS if minutes < 0 else ("+" if signed and minutes > 0 else "")
    hours, rest = divmod(abs(int(minutes)), 60)
    if hours and rest:
        return f"{sign}{hours} h {rest} min"
    return f"{sign}{hours} h" if hours else f"{sign}{rest} min"


def hours(minutes: int | None) -> str:
    """Minutes as hours, for figures and charts: "1.5", "12", "1,234.25"."""
    value = round((minutes or 0) / 60, 2)
    text = f"{abs(value):,.2f}".rstrip("0").rstrip(".")
    return f"{MINUS}{text}" if value < 0 else text


def day(text: str | None) -> str:
    """An ISO date or timestamp as people read it: "26 Nov 2026"."""
    if not text:
        return "never"
    found = date.fromisoformat(text[:10])
    return f"{found.day} {found:%b %Y}"


def month(text: str) -> str:
    """ "2026-03" as "Mar 2026"."""
    return f"{date.fromisoformat(text + '-01'):%b %Y}"


def shown(account_id: str, org: str) -> str:
    """An account as its organisation's broker calls it: its own by ref alone."""
    return account_id.removeprefix(f"{org}:")


def percent(part: int | None, whole: int | None) -> str:
    if part is None or whole is None:
        return "hidden"
    return f"{round(100 * part / whole)}%" if whole else "none"


def people(count: int | None) -> str:
    """A count of people; hidden (None) in reports that leave the organisation."""
    return "hidden" if count is None else str(count)


def query(*maps: dict[str, Any], **params: Any) -> str:
    """A query string of the parameters that have a value (dicts first, then keywords)."""
    merged = {key: value for found in maps for key, value in found.items()} | params
    kept = {k: v for k, v in merged.items() if v not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


templates.env.filters["duration"] = duration
templates.env.filters["hours"] = hours
templates.env.filters["day"] = day
templates.env.filters["month"] = month
templates.env.filters["shown"] = shown
templates.env.filters["people"] = people
templates.env.globals["percent"] = percent
templates.env.globals["query"] = query
templates.env.globals["csrf_field"] = CSRF_FIELD


def render(
    request: Request,
    name: str,
    visitor: Visitor | None,
    status_code: int = 200,
    *,
    session: Session | None = None,
    **context: Any,
) -> Response:
    session = session or (visitor.session if visitor else session_of(request))
    context.update(
        visitor=visitor,
        csrf_token=session.csrf_token if session else "",
    )
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["content-security-policy"] = CSP
    return response


def see_other(url: str) -> RedirectResponse:
    """After a POST: the browser GETs the next page (a reload does not post again)."""
    return RedirectResponse(url, status_code=303)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(TooManyRequests, _too_many_requests)


def _sign_in_required(request: Request, error: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = "/app"
    return see_other("/app/sign-in?next=" + quote(target, safe=""))


def _refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, Refused)
    visitor = getattr(request.state, "visitor", None)
    return render(request, "refused.html", visitor, 403, message=error.message)


def _not_found(request: Request, error: Exception) -> Response:
    assert isinstance(error, NotFound)
    visitor = getattr(request.state, "visitor", None)
    return render(request, "not_found.html", visitor, 404, message=error.message)


def _too_many_requests(request: Request, error: Exception) -> Response:
    assert isinstance(error, TooManyRequests)
    visitor = getattr(request.state, "visitor", None)
    response = render(request, "rate_limited.html", visitor, 429, wait=error.retry_after)
    response.headers["retry-after"] = str(error.retry_after)
    return response
