"""The application factory: everything an app needs is made here, nothing at import time."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import psycopg
from eventsourcing.persistence import PersistenceError
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
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
from api.probe import Positions, Probe, Stall
from api.ratelimit import Limits
from api.routers import ROUTERS
from api.settings import ADMIN_KEY_VAR, ApiSettings
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
    app = _bare_app()
    _keep_state(app, settings or ApiSettings.from_env(), ledger, read_models, audit_log)
    app.state.read_models_factory = read_models_factory or open_read_models
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    web.install(app)
    docs.install(app)
    _add_middleware(app)
    app.openapi = lambda: problem_schema(app)  # type: ignore[method-assign]
    return app


def _bare_app() -> FastAPI:
    return FastAPI(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=_lifespan,
        dependencies=[Depends(strict_input)],
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        # Off: nothing here exports OpenTelemetry, and the check whether anything does (an
        # environment read, provider look-ups) ran on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )


def _keep_state(
    app: FastAPI,
    settings: ApiSettings,
    ledger: Ledger | None,
    read_models: ReadModels | None,
    audit_log: AuditLog | None,
) -> None:
    app.state.settings = settings
    app.state.ledger = ledger
    app.state.read_models = read_models
    app.state.audit_log = audit_log
    app.state.probe = Probe(lambda: _positions(app))
    app.state.stall = Stall(settings.ready_stall_seconds, time.monotonic)
    app.state.metrics = Metrics(app.state.probe.positions)
    app.state.limits = Limits.of(settings.rate_limit, settings.address_rate_limit)


def _add_middleware(app: FastAPI) -> None:
    # Added innermost first: the catch-all sits just outside the routes, metrics outermost.
    settings = app.state.settings
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout_seconds,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)


def operation_id(route: APIRoute) -> str:
    """The endpoint's own name (`record_exchange`), so generated clients read well; FastAPI's
    default adds the path and method (`record_exchange_v1_exchanges_post`)."""
    return route.name


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    opened: Ledger | None = None
    if app.state.ledger is None:
        opened = await run_in_threadpool(_patiently, lambda: _open(app))
    app.state.ledger.conflict_listeners.append(app.state.metrics.write_conflict)
    await run_in_threadpool(_bootstrap_admin_key, app.state.ledger, app.state.settings)
    try:
        yield
    finally:
        app.state.ledger.conflict_listeners.remove(app.state.metrics.write_conflict)
        if opened is not None:
            _close(app.state.read_models)
            opened.close()


def _bootstrap_admin_key(ledger: Ledger, settings: ApiSettings) -> None:
    """The operator's key: the configured one, which revokes a generated one, or else one
    generated on the first start."""
    if settings.admin_key is not None:
        if ledger.revoke_generated_admin_key():
            print(f"The generated admin key is revoked: {ADMIN_KEY_VAR} is set.", flush=True)
        return
    key = ledger.ensure_admin_key()
    if key is not None:
        # Printed, never logged: this is the one moment the operator's key exists in clear.
        print(f"Admin key (shown once; keep it safe): {key}", flush=True)


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


def _positions(app: FastAPI) -> Positions:
    ledger: Ledger = app.state.ledger
    read_models: ReadModels | None = app.state.read_models
    if read_models is None:
        return Positions(ledger.head_position(), None)
    return Positions(ledger.head_position(), read_models.position(), tuple(read_models.stuck()))
