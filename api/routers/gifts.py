"""Gifts: credits passed on to the community pot or another member (not time given)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status

from api.deps import Caller, LedgerDep, ReadsDep, Writer, role
from api.openapi import errors
from api.routers.exchanges import REPLAY_DOC, REPLAYED, IdempotencyKey
from api.schemas.exchanges import ReasonBody
from api.schemas.gifts import GiftCreate, GiftRead, GiftWritten
from api.strict import StrictJSONRoute
from domain.gift import UnknownGift, not_its_organisation
from ledger import GiftRecord, GiftRequest, Principal

router = APIRouter(prefix="/v1/gifts", tags=["gifts"], route_class=StrictJSONRoute)
GiftId = Annotated[str, Path(description="The gift's id (a UUID)")]
Reverser = Annotated[Principal, Depends(role("broker", "poster", "admin"))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=GiftWritten,
    response_model_by_alias=True,
    responses={**errors(403, 409), **REPLAY_DOC},
)
def make_gift(
    body: GiftCreate,
    caller: Writer,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GiftWritten:
    """Pass credits on within the giver's organisation; never below zero for the giver."""
    assert caller.organisation is not None, "broker and poster keys belong to an organisation"
    request = GiftRequest(body.from_account, body.to_account, body.minutes, body.note)
    record = ledger.make_gift(caller.organisation, request, idempotency_key, caller.key_id)
    if record.replayed:
        response.headers[REPLAYED] = "true"
    return _written(record)


@router.post(
    "/{gift_id}/reverse",
    response_model=GiftWritten,
    response_model_by_alias=True,
    responses=errors(403, 404, 409),
)
def reverse_gift(
    gift_id: GiftId, body: ReasonBody, caller: Reverser, ledger: LedgerDep
) -> GiftWritten:
    """Reverse a gift with a compensating record (its organisation, or admin)."""
    acting = None if caller.role == "admin" else caller.organisation
    return _written(ledger.reverse_gift(gift_id, acting, body.reason))


@router.get(
    "/{gift_id}", response_model=GiftRead, response_model_by_alias=True, responses=errors(403, 404)
)
def get_gift(gift_id: GiftId, caller: Caller, read: ReadsDep) -> dict[str, Any]:
    """One gift (its organisation's keys, auditors, admin)."""
    position = read.as_of()
    row = read.models.gift(gift_id)
    if caller.role not in ("admin", "auditor"):
        if row is None or caller.organisation != row["organisation"]:
            raise not_its_organisation(gift_id)  # the same answer whether or not it exists
    elif row is None:
        raise UnknownGift(f"no gift '{gift_id}'")
    return {**row, "recorded_by": row["organisation"], "as_of_position": position}


def _written(record: GiftRecord) -> GiftWritten:
    return GiftWritten.model_validate(record, from_attributes=True)
