"""Health, readiness and metrics for whoever runs the service: health and readiness need no
key; metrics an admin or auditor key unless `TIMEBANK_METRICS_PUBLIC` opens them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from api.deps import Credentials, MetricsDep, SettingsDep, get_caller
from api.openapi import errors
from api.probe import Probe, Stall
from api.problems import Unavailable
from api.settings import ApiSettings
from api.strict import StrictJSONRoute
from domain.errors import Forbidden

router = APIRouter(tags=["operations"], route_class=StrictJSONRoute)
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
METRICS_ROLES = ("admin", "auditor")


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    position: int = Field(description="Position of the last event recorded")
    as_of_position: int = Field(description="Position the read models have processed")
    lag: int = Field(description="Events recorded but not yet in the read models")


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """200 while the process lives."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=errors())
def readyz(request: Request, settings: SettingsDep) -> Readiness:
    """200 when the database answers and the read models are caught up and advancing, else 503."""
    probe: Probe = request.app.state.probe
    stall: Stall = request.app.state.stall
    positions = probe.positions()
    head, read = positions.head, positions.read
    if read is None:
        raise Unavailable("the read models are not running")
    if positions.stuck:
        fault = positions.stuck[0]
        raise Unavailable(
            f"projection {fault.projection} is stuck after position {fault.position}"
            f" since {fault.since}"
        )
    lag = max(head - read, 0)
    if lag > settings.ready_max_lag:
        raise Unavailable(f"the read models trail the event log by {lag} events")
    stood = stall.seconds(positions)
    if stood >= stall.patience:
        raise Unavailable(
            f"the read models have stood at position {read} for {stood:.0f} s,"
            f" {lag} events behind the log"
        )
    return Readiness(status="ready", position=head, as_of_position=read, lag=lag)


async def may_read_metrics(request: Request, credentials: Credentials) -> None:
    """Metrics tell how busy the ledger is, route by route, and how far its read models are:
    an admin or auditor key, unless the operator opened them to a scraper on a private network."""
    settings: ApiSettings = request.app.state.settings
    if settings.metrics_public:
        return
    caller = await get_caller(request, credentials)
    if caller.role not in METRICS_ROLES:
        raise Forbidden(f"a {caller.role} key may not read the metrics")


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **errors(403)},
    dependencies=[Depends(may_read_metrics)],
)
def metrics(metrics: MetricsDep) -> Response:
    """Prometheus text format: requests by route and status, exchanges, projection lag.
    An admin or auditor key, unless TIMEBANK_METRICS_PUBLIC opens them."""
    return Response(metrics.render(), media_type=PROMETHEUS_TEXT)
