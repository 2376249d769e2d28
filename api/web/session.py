"""Who is signed in to the pages: a key in a cookie, checked on every request.

The cookie holds a random per-session nonce and the key itself, so every request is
authenticated afresh by the ledger (a revoked key stops working at once) and any number of
API processes can serve the pages without shared session state. The cookie is HttpOnly and
SameSite=Strict, and Secure whenever the request came over https. Forms carry a CSRF token
derived from the nonce; it is checked on every POST, signing in included (the sign-in page
starts an anonymous session for that).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import Request, Response

from ledger import Principal

COOKIE = "timebank_session"
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 256 * 1024
SESSION_SECONDS = 12 * 3600
ROLES = ("broker", "auditor")


@dataclass(frozen=True)
class Session:
    nonce: str
    key: str | None = None

    @classmethod
    def new(cls, key: str | None = None) -> Session:
        return cls(secrets.token_urlsafe(24), key)

    @property
    def csrf_token(self) -> str:
        return hmac.new(self.nonce.encode(), b"timebank-csrf", hashlib.sha256).hexdigest()

    def accepts(self, token: str) -> bool:
        return hmac.compare_digest(self.csrf_token.encode(), token.encode())

    def cookie_value(self) -> str:
        return f"{self.nonce}.{self.key}" if self.key else self.nonce


@dataclass(frozen=True)
class Visitor:
    """A signed-in broker or auditor."""

    principal: Principal
    session: Session

    @property
    def organisation(self) -> str | None:
        return self.principal.organisation

    @property
    def may_write(self) -> bool:
        return self.principal.role == "broker"


class SignInRequired(Exception):
    """No session, or its key no longer works: the visitor is sent to the sign-in page."""


class Refused(Exception):
    """A signed-in visitor asked for something that key may not see or do: a 403 page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def session_of(request: Request) -> Session | None:
    value = request.cookies.get(COOKIE, "")
    nonce, _, key = value.partition(".")
    if len(nonce) < 16:
        return None
    return Session(nonce, key or None)


def set_session(request: Request, response: Response, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        session.cookie_value(),
        max_age=SESSION_SECONDS,
        path="/app",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE, path="/app", secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form, after its CSRF token was checked against the session's."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Refused("That form was too large to accept.")
    try:
        fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise Refused("That form could not be read.") from None
    session = session_of(request)
    if session is None or not session.accepts(fields.get(CSRF_FIELD, "")):
        raise Refused(
            "This form has expired or did not come from these pages. Go back, reload the page"
            " and try again."
        )
    return fields
