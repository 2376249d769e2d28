"""The application factory: everything an app needs is made here, nothing at import time."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from eventsourcing.persistence import PersistenceError
from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from api import docs, errors, web
from api.body_limit import BodyLimitMiddleware
from api.metrics import Metrics
from api.middleware import (
    CatchAllMiddleware,
    MetricsMiddleware,
    SecurityHeadersMiddleware,
)
from api.openapi import DESCRIPTION, TAGS, TITLE, problem_schema
from api.probe import Probe
from api.ratelimit import Limits
from api.routers import (
    accounts,
    audit,
    exchanges,
    gifts,
    operations,
    organisations,
    participation,
    summary,
    transparency,
)
from api.settings import ApiSettings
from api.strict import strict_input
from ledger import Ledger
from projections import open_read_models
from projections.audit_log import AuditLog
from projections.queries import ReadModels

log = logging.getLogger("timebank.api")
VERSION = "1.0.0"
ReadModelsFactory = Callable[[Ledger], ReadModels | None]
T = TypeVar("T")
STARTUP_ATTEMPTS = 20
STARTUP_PAUSE = 0.5


def create_app(
    ledger: Ledger | None = None,
    read_models: ReadModels | None = None,
    *,
    audit_log: AuditLog | None = None,
    settings: ApiSettings | None = None,
    read_models_factory: ReadModelsFactory | None = None,
) -> FastAPI:
    """Build the API over a ledger and read models, or over ones opened from the environment
    when the app starts (the mode `uvicorn --factory api.app:create_app` uses)."""
    app = FastAPI(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=_lifespan,
        dependencies=[Depends(strict_input)],
        docs_url=None,
        redoc_url=None,
        # Off: nothing here exports OpenTelemetry, and the check whether anything does (an
        # environment read, provider look-ups) ran on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings or ApiSettings.from_env()
    app.state.ledger = ledger
    app.state.read_models = read_models
    app.state.audit_log = audit_log
    app.state.read_models_factory = read_models_factory or open_read_models
    app.state.probe = Probe(lambda: _positions(app))
    app.state.metrics = Metrics(app.state.probe.positions)
    settings = app.state.settings
    app.state.limits = Limits.of(settings.rate_limit, settings.address_rate_limit)
    errors.install(app)
    routers = (organisations, accounts, exchanges, gifts, summary, participation, audit)
    for module in (*routers, transparency, operations):
        for router in _routers_of(module):
            app.include_router(router)
    web.install(app)
    docs.install(app)
    # Added innermost first: the catch-all sits just outside the routes, metrics outermost.
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=app.state.settings.max_body_bytes,
        timeout=app.state.settings.body_timeout_seconds,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.openapi = lambda: problem_schema(app)  # type: ignore[method-assign]
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    opened: Ledger | None = None
    if app.state.ledger is None:
        opened = await run_in_threadpool(_patiently, lambda: _open(app))
    if app.state.settings.admin_key is None:
        key = await run_in_threadpool(app.state.ledger.ensure_admin_key)
        if key is not None:
            # Printed, never logged: this is the one moment the operator's key exists in clear.
            print(f"Admin key (shown once; keep it safe): {key}", flush=True)
    try:
        yield
    finally:
        if opened is not None:
            _close(app.state.read_models)
            opened.close()


def _open(app: FastAPI) -> Ledger:
    ledger = app.state.ledger = app.state.ledger or Ledger()
    app.state.read_models = app.state.read_models_factory(ledger)
    app.state.audit_log = _audit_log(ledger, app.state.read_models)
    return ledger


def _patiently(start: Callable[[], T]) -> T:
    """Retry start-up while the database is starting too, or while another process (the
    projection workers, another API worker) is creating the same tables."""
    for _ in range(STARTUP_ATTEMPTS - 1):
        try:
            return start()
        except (PersistenceError, psycopg.OperationalError) as error:
            log.warning("database not ready at start-up (%s); retrying", error)
            time.sleep(STARTUP_PAUSE)
    return start()


def _audit_log(ledger: Ledger, read_models: object) -> AuditLog:
    """Beside the read models' views when there are some: with the in-memory store, that is
    the only place the audit chain is projected."""
    view = getattr(read_models, "view", None)
    return AuditLog(ledger.recorder, view) if view is not None else AuditLog(ledger.recorder)


def _close(resource: object) -> None:
    close = getattr(resource, "close", None)
    if callable(close):
        close()


def _positions(app: FastAPI) -> tuple[int, int | None]:
    ledger: Ledger = app.state.ledger
    read_models: ReadModels | None = app.state.read_models
    return ledger.head_position(), (read_models.position() if read_models else None)


def _routers_of(module: Any) -> list[Any]:
    return [getattr(module, name) for name in ("router", "keys") if hasattr(module, name)]
