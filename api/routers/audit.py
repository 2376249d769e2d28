"""The audit log for auditors: every event with its chain hash, and signed checkpoints."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.deps import MAX_POSITION, LedgerDep, SettingsDep, role
from api.openapi import errors
from api.problems import Unavailable
from api.schemas.audit import AuditEventPage, Checkpoint, CheckpointPage
from api.strict import StrictJSONRoute
from domain.errors import LedgerError
from ledger import Ledger, Principal
from projections.audit_log import AuditLog

router = APIRouter(prefix="/v1/audit", tags=["audit"], route_class=StrictJSONRoute)
Auditor = Annotated[Principal, Depends(role("auditor", "admin"))]
After = Annotated[
    int, Query(ge=0, le=MAX_POSITION, description="Position: answer what comes after it")
]
PageLimit = Annotated[int, Query(ge=1, le=1000, description="Items per page")]
MinPosition = Annotated[
    int | None,
    Query(ge=0, le=MAX_POSITION, description="Wait (up to 5 s) until the chain reaches this"),
]
POLL_SECONDS = 0.05


class NoCheckpoint(LedgerError):
    code = "not_found"


async def get_audit_log(request: Request) -> AuditLog:
    """Async: a plain `def` dependency would cost a worker thread's round trip a request."""
    audit_log: AuditLog | None = request.app.state.audit_log
    if audit_log is None:
        raise Unavailable("the audit log is not available")
    return audit_log


AuditLogDep = Annotated[AuditLog, Depends(get_audit_log)]


@router.get("/events", response_model=AuditEventPage, responses=errors(403))
def list_events(
    caller: Auditor,
    audit: AuditLogDep,
    ledger: LedgerDep,
    settings: SettingsDep,
    after: After = 0,
    limit: PageLimit = 100,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """Events oldest first, each with the hash that chains it to the one before."""
    position = _chained_to(audit, ledger, min_position, settings.read_wait_seconds)
    events, cursor = audit.events(after, limit)
    return {"events": events, "next": cursor, "as_of_position": position}


@router.get("/checkpoints/latest", response_model=Checkpoint, responses=errors(403, 404))
def latest_checkpoint(caller: Auditor, audit: AuditLogDep) -> dict[str, Any]:
    """The latest signed checkpoint: keep it to prove later that history was not rewritten."""
    checkpoint = audit.latest_checkpoint()
    if checkpoint is None:
        raise NoCheckpoint("no checkpoint has been made yet")
    return checkpoint


@router.get("/checkpoints", response_model=CheckpointPage, responses=errors(403))
def list_checkpoints(
    caller: Auditor,
    audit: AuditLogDep,
    ledger: LedgerDep,
    settings: SettingsDep,
    after: After = 0,
    limit: PageLimit = 100,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """Signed checkpoints oldest first."""
    position = _chained_to(audit, ledger, min_position, settings.read_wait_seconds)
    checkpoints, cursor = audit.checkpoints(after, limit)
    return {"checkpoints": checkpoints, "next": cursor, "as_of_position": position}


def _chained_to(audit: AuditLog, ledger: Ledger, position: int | None, timeout: float) -> int:
    """The chain's head, after waiting for it to reach `position` if asked."""
    deadline = time.monotonic() + timeout
    head = audit.head()[0]
    if position is None or head >= position:
        return head
    if position > ledger.head_position():
        # No write answered with a position past the log's head: hold no thread waiting for it.
        raise Unavailable(f"nothing has been recorded at position {position} yet")
    while head < position:
        if time.monotonic() >= deadline:
            raise Unavailable(f"the audit chain has not reached position {position} yet")
        time.sleep(POLL_SECONDS)
        head = audit.head()[0]
    return head
