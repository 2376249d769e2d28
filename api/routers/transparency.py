"""The transparency log: the log key, proofs, receipts and tiles.

Checkpoints, the key, proofs and hash tiles hold hashes, not data: any valid key reads them.
Entry tiles hold the events themselves: auditors and admins only. A receipt is for whoever
may read its exchange. Checkpoints, with their cosignatures, are served by
`api.routers.witness`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from api.deps import MAX_POSITION, Caller, ReadsDep
from api.openapi import errors
from api.routers.audit import AuditLogDep
from api.routers.exchanges import ExchangeId, readable_exchange
from api.strict import StrictJSONRoute
from domain.errors import Forbidden
from projections.audit_key_store import key_history
from projections.audit_log import AuditLog
from projections.tlog_log import TransparencyLog, tile_address
from projections.witness_log import WitnessLog

router = APIRouter(tags=["transparency log"], route_class=StrictJSONRoute)
Size = Annotated[int, Query(ge=0, le=MAX_POSITION, description="A checkpointed tree size")]
TEXT = "text/plain; charset=utf-8"
TILE = "application/octet-stream"
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def transparency_log(audit: AuditLog, request: Request) -> TransparencyLog:
    log: TransparencyLog | None = getattr(request.app.state, "transparency_log", None)
    if log is None or log.audit is not audit:
        log = request.app.state.transparency_log = TransparencyLog(audit)
    return log


async def get_log(audit: AuditLogDep, request: Request) -> TransparencyLog:
    """Async: a plain `def` dependency would cost a worker thread's round trip a request
    (the log is made once, its tables checked then)."""
    return transparency_log(audit, request)


LogDep = Annotated[TransparencyLog, Depends(get_log)]


def get_witness_log(log: LogDep, request: Request) -> WitnessLog:
    witnesses: WitnessLog | None = getattr(request.app.state, "witness_log", None)
    if witnesses is None or witnesses.log is not log:
        witnesses = request.app.state.witness_log = WitnessLog(log)
    return witnesses


WitnessLogDep = Annotated[WitnessLog, Depends(get_witness_log)]


@router.get("/v1/audit/log/key", response_class=Response, responses=errors(404))
def log_key(caller: Caller, log: LogDep) -> Response:
    """The log's verifier key: `<name>+<hex key id>+<base64(0x01 || public key)>`."""
    return Response(log.log_key() + "\n", media_type=TEXT)


@router.get("/v1/audit/log/keys", responses=errors())
def log_key_history(caller: Caller, log: LogDep) -> dict[str, Any]:
    """The signing key's history: every rotation, each new key announced under the old one
    and signed by both (`docs/auditors.md`). Empty while the first key is in force."""
    return {"rotations": key_history(log.audit.view)}


@router.get("/v1/audit/proofs/inclusion", responses=errors(404))
def inclusion(
    caller: Caller,
    log: LogDep,
    position: Annotated[int, Query(ge=1, le=MAX_POSITION, description="The event's position")],
    size: Size | None = None,
) -> dict[str, Any]:
    """The RFC 9162 inclusion proof of an event in a checkpointed tree (default: the latest)."""
    return log.inclusion(position, size)


@router.get("/v1/audit/proofs/consistency", responses=errors(404, 422))
def consistency(
    caller: Caller,
    log: LogDep,
    old: Annotated[int, Query(alias="from", ge=0, le=MAX_POSITION, description="Older size")],
    new: Annotated[int, Query(alias="to", ge=0, le=MAX_POSITION, description="Checkpointed size")],
) -> dict[str, Any]:
    """The RFC 9162 consistency proof that the tree of size `to` extends that of `from`."""
    return log.consistency(old, new)


@router.get("/v1/exchanges/{exchange_id}/receipt", responses=errors(403, 404, 503))
def receipt(
    exchange_id: ExchangeId, caller: Caller, read: ReadsDep, witnesses: WitnessLogDep
) -> dict[str, Any]:
    """The exchange, its events and balance moves, each with its inclusion proof, and the
    signed checkpoint they are proven against, with its cosignatures: checkable offline."""
    row = readable_exchange(caller, exchange_id, read.models.exchange(exchange_id))
    exchange = {**row, "as_of_position": read.models.position()}
    proven = witnesses.log.receipt(exchange_id)
    proven["checkpoint"] = witnesses.with_cosignatures(proven["checkpoint"])
    return {"exchange": exchange, **proven}


@router.get("/v1/audit/log/tile/{path:path}", response_class=Response, responses=errors(403, 404))
def tile(path: str, caller: Caller, log: LogDep) -> Response:
    """C2SP tlog-tiles: hash tiles for any valid key; entry bundles for auditors and admins."""
    level, n, width = tile_address(path)
    if level is None:
        if caller.role not in ("auditor", "admin"):
            raise Forbidden("entry bundles hold the events: auditors and admins only")
        return Response(log.entries(n, width), media_type=TILE, headers=IMMUTABLE)
    return Response(log.tile(level, n, width), media_type=TILE, headers=IMMUTABLE)
