"""Witnesses: organisations' cosignature keys, the policy, and the cosignatures collected.

Keys are managed by the broker of their organisation or the operator; anyone with a valid
key reads the policy and posts cosignatures (they hold hashes and signatures, not data):
each line is verified against the registered keys before it is kept.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, LedgerDep, Manager, ReadsDep
from api.openapi import errors
from api.problems import Unavailable
from api.routers.organisations import Org, _may_oversee
from api.routers.transparency import TEXT, Size, WitnessLogDep
from api.schemas.witness import (
    CosignaturesAccepted,
    WitnessKeyCreate,
    WitnessKeyCreated,
    WitnessKeyPage,
)
from api.strict import StrictJSONRoute
from domain.errors import InvalidRequest
from ledger.ports import utc_now
from projections.witness_keys import WitnessKeys

router = APIRouter(tags=["witnesses"], route_class=StrictJSONRoute)
KeyId = Annotated[str, Path(description="The witness key's id, as registered")]


@router.post(
    "/v1/organisations/{org}/witness-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=WitnessKeyCreated,
    responses=errors(403, 404, 409),
)
def register_witness_key(
    org: Org, body: WitnessKeyCreate, caller: Manager, ledger: LedgerDep
) -> WitnessKeyCreated:
    """Register a cosignature key of the organisation (its broker, admin)."""
    record = ledger.register_witness_key(org, body.vkey, body.url, caller.organisation)
    return WitnessKeyCreated.model_validate(record, from_attributes=True)


@router.get(
    "/v1/organisations/{org}/witness-keys",
    response_model=WitnessKeyPage,
    responses=errors(403, 404),
)
def list_witness_keys(
    org: Org, caller: Caller, read: ReadsDep, witnesses: WitnessLogDep
) -> dict[str, Any]:
    """The organisation's witness keys in force (its broker, auditors, admin)."""
    position = _may_oversee(caller, org, read)
    if read.min_position is not None:
        try:
            witnesses.view.wait(WitnessKeys.name, read.min_position, timeout=read.wait_seconds)
        except TimeoutError:
            raise Unavailable(f"witness keys have not reached {read.min_position} yet") from None
    return {"witness_keys": witnesses.keys.of(org), "as_of_position": position}


@router.delete(
    "/v1/organisations/{org}/witness-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(403, 404),
)
def remove_witness_key(org: Org, key_id: KeyId, caller: Manager, ledger: LedgerDep) -> Response:
    """Remove a witness key (its organisation's broker, admin): its cosignatures stop counting."""
    ledger.remove_witness_key(org, key_id, caller.organisation)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/audit/log/policy", response_class=Response, responses=errors(404))
def policy(caller: Caller, witnesses: WitnessLogDep) -> Response:
    """The C2SP tlog-policy a checkpoint is witnessed by: the log key, every witness key in
    force, a group per organisation and the quorum over organisations."""
    return Response(witnesses.policy().text(), media_type=TEXT)


@router.post(
    "/v1/audit/log/cosignatures",
    status_code=status.HTTP_201_CREATED,
    response_model=CosignaturesAccepted,
    responses=errors(422),
    openapi_extra={"requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def post_cosignatures(
    request: Request, caller: Caller, witnesses: WitnessLogDep
) -> dict[str, Any]:
    """A checkpoint note with cosignature lines (C2SP tlog-cosignature): each line that
    verifies against a registered witness key is kept; none that does: 422."""
    try:
        message = (await request.body()).decode()
    except UnicodeDecodeError:
        raise InvalidRequest("the body is a checkpoint note in UTF-8 text") from None
    received_at = utc_now().isoformat(timespec="seconds").replace("+00:00", "Z")
    return await run_in_threadpool(witnesses.accept, message, received_at)


@router.get("/v1/audit/log/checkpoint", response_class=Response, responses=errors(404))
def checkpoint(
    caller: Caller,
    witnesses: WitnessLogDep,
    size: Size | None = None,
    witnessed: Annotated[
        bool, Query(description="The newest checkpoint whose cosignatures meet the quorum")
    ] = False,
) -> Response:
    """The latest signed note checkpoint (C2SP tlog-checkpoint), or the one made at `size`,
    with every valid cosignature collected."""
    if witnessed and size is not None:
        raise InvalidRequest("give size or witnessed, not both", field="witnessed")
    return Response(witnesses.cosigned(size, witnessed), media_type=TEXT)
