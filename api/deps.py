"""What an endpoint may ask for: the ledger, the read models, the caller, a consistent read.

Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in a worker
thread, and a thread hop per dependency per request costs more than the work itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.metrics import Metrics
from api.problems import RateLimited, Unauthorised, Unavailable
from api.ratelimit import Limits
from api.settings import ApiSettings
from domain.errors import Forbidden
from ledger import Ledger, Principal
from projections.queries import ReadModels

MAX_POSITION = 2**62
T = TypeVar("T")
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="key",
    description="An access key issued by the operator: `Authorization: Bearer tbk_...`",
)


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


async def get_read_models(request: Request) -> ReadModels:
    read_models: ReadModels | None = request.app.state.read_models
    if read_models is None:
        raise Unavailable("the read models are not running")
    return read_models


async def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
ReadModelsDep = Annotated[ReadModels, Depends(get_read_models)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def get_caller(request: Request, credentials: Credentials) -> Principal:
    """Checking a key reads the database; the check is awaited, not run in a worker thread.
    Ledger, settings and limits come straight from the app: every dependency, even one
    that only returns an attribute, costs every request."""
    state = request.app.state
    ledger: Ledger = state.ledger
    settings: ApiSettings = state.settings
    limits: Limits = state.limits
    if (wait := limits.before_authentication(request)) is not None:
        raise RateLimited(
            f"too many requests without a valid key from this address; retry in {wait} s",
            retry_after=wait,
        )
    principal = None
    if credentials is not None:
        principal = await asyncio.wrap_future(
            ledger.submit_authentication(credentials.credentials, admin_key=settings.admin_key)
        )
    if principal is None:
        limits.failed_authentication(request)
        if credentials is None:
            raise Unauthorised("send your key as 'Authorization: Bearer <key>'")
        raise Unauthorised("this key is unknown or has been revoked")
    if (wait := limits.for_key(principal.key_id)) is not None:
        raise RateLimited(
            f"this key made more than {limits.keys.rate:g} requests a second; retry in {wait} s",
            retry_after=wait,
        )
    return principal


Caller = Annotated[Principal, Depends(get_caller)]


def role(*allowed: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(caller: Caller) -> Principal:
        if caller.role not in allowed:
            raise Forbidden(f"a {caller.role} key may not do this")
        return caller

    return check


Admin = Annotated[Principal, Depends(role("admin"))]
Writer = Annotated[Principal, Depends(role("broker", "poster"))]
Manager = Annotated[Principal, Depends(role("broker", "admin"))]


@dataclass(frozen=True)
class PageParams:
    after: str | None
    limit: int


async def page_params(
    after: Annotated[str | None, Query(description="Cursor: the `next` of the page before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Items per page")] = 100,
) -> PageParams:
    return PageParams(after, limit)


Paging = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True)
class Reads:
    """The read models, and the position a read must reflect (after the caller is authorised)."""

    models: ReadModels
    wait_seconds: float
    min_position: int | None
    head: Callable[[], int]

    def as_of(self) -> int:
        """Wait for `min_position` if one was asked for; answer the position read as of."""
        if self.min_position is not None:
            self.wait(self.min_position)
        return self.models.position()

    def now(self, read: Callable[[ReadModels], tuple[int, T]]) -> tuple[int, T]:
        """`as_of`, for a read that answers its own position along with its rows."""
        if self.min_position is not None:
            self.wait(self.min_position)
        return read(self.models)

    def wait(self, position: int) -> None:
        if self.models.wait_for(position, timeout=0):
            return
        # No write has answered with a position past the log's head: waiting for one would
        # only hold a worker thread for nothing (and many such reads, all of them).
        if position > self.head():
            raise Unavailable(f"nothing has been recorded at position {position} yet")
        if not self.models.wait_for(position, timeout=self.wait_seconds):
            raise Unavailable(f"the read models have not reached position {position} yet")


async def get_reads(
    read_models: ReadModelsDep,
    settings: SettingsDep,
    ledger: LedgerDep,
    min_position: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_POSITION,
            description="Wait (up to 5 s) until the read models have processed this",
        ),
    ] = None,
) -> Reads:
    return Reads(read_models, settings.read_wait_seconds, min_position, ledger.head_position)


ReadsDep = Annotated[Reads, Depends(get_reads)]


def may_read_organisation(caller: Principal, org: str) -> None:
    """Brokers (and posters, where allowed) see their own organisation; auditors and admins all."""
    if caller.role in ("admin", "auditor"):
        return
    if caller.organisation != org:
        raise Forbidden(f"this key may not read organisation {org}")
