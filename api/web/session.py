"""Who is signed in to the pages: a random session id in a cookie, checked on the server.

The cookie holds only a session id (256 random bits); the ledger keeps its hash, the key it
was opened with and when it expires (ledger/sessions.py), in the database, so any number of
API processes serve the pages, sign-out ends the session for good, and a revoked key ends
its sessions at once. Before sign-in the cookie holds a random nonce that starts no session.
The cookie is HttpOnly and SameSite=Strict, and Secure whenever the request came over https.
Forms carry a CSRF token derived from the cookie's value; it is checked on every POST,
signing in included.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import Request, Response

from ledger import SESSION_SECONDS, Principal

COOKIE = "timebank_session"
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 256 * 1024
ROLES = ("broker", "auditor")
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")


@dataclass(frozen=True)
class Session:
    """The cookie's value: a session id once signed in, a nonce before."""

    token: str

    @classmethod
    def new(cls) -> Session:
        return cls(secrets.token_urlsafe(24))

    @property
    def csrf_token(self) -> str:
        return hmac.new(self.token.encode(), b"timebank-csrf", hashlib.sha256).hexdigest()

    def accepts(self, token: str) -> bool:
        return hmac.compare_digest(self.csrf_token.encode(), token.encode())


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


class TooManyRequests(Exception):
    """Over the rate limit (per key, or per address before sign-in): a plain 429 page."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry in {retry_after} s")
        self.retry_after = retry_after


class NotFound(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def session_of(request: Request) -> Session | None:
    value = request.cookies.get(COOKIE, "")
    return Session(value) if TOKEN.fullmatch(value) else None


def set_session(request: Request, response: Response, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        session.token,
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
