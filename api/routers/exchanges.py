"""Exchanges: record (one or a batch), confirm, reject, reverse, read."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from api.deps import Caller, LedgerDep, MetricsDep, Paging, ReadsDep, Writer, role
from api.openapi import errors
from api.schemas.exchanges import (
    BatchCreate,
    BatchWritten,
    ExchangeCreate,
    ExchangePage,
    ExchangeRead,
    ExchangeWritten,
    ReasonBody,
    Status,
)
from api.strict import StrictJSONRoute
from domain.errors import Forbidden, UnknownExchange
from domain.rules import ACCOUNT_ID, organisation_of
from ledger import ExchangeRecord, ExchangeRequest, Principal

router = APIRouter(prefix="/v1/exchanges", tags=["exchanges"], route_class=StrictJSONRoute)
REPLAYED = "Idempotent-Replayed"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Your id for this request. Sending it again with the same body returns the "
        "first answer and records nothing new; with a different body: 409.",
    ),
]
REPLAY_DOC: dict[int | str, dict[str, Any]] = {
    201: {
        "headers": {
            REPLAYED: {
                "description": "Present (true) when this is the first answer given again",
                "schema": {"type": "string", "enum": ["true"]},
            }
        }
    }
}
ExchangeId = Annotated[str, Path(description="The exchange's id (a UUID)")]
Reverser = Annotated[Principal, Depends(role("broker", "poster", "admin"))]
Row = dict[str, Any]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExchangeWritten,
    responses={**errors(403, 409), **REPLAY_DOC},
)
async def record_exchange(
    body: ExchangeCreate,
    caller: Writer,
    ledger: LedgerDep,
    metrics: MetricsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ExchangeWritten:
    """Record time given: completed at once within your organisation, pending across two."""
    # Awaited on the event loop: no worker thread sits blocked while the writer commits.
    record = await asyncio.wrap_future(
        ledger.submit_exchange(
            _organisation(caller), _request(body), idempotency_key, key_id=caller.key_id
        )
    )
    if record.replayed:
        response.headers[REPLAYED] = "true"
    else:
        metrics.exchange_recorded(record.status)
    return _written(record)


@router.post(
    "/batch",
    status_code=status.HTTP_201_CREATED,
    response_model=BatchWritten,
    responses={**errors(403, 409), **REPLAY_DOC},
)
def record_batch(
    body: BatchCreate,
    caller: Writer,
    ledger: LedgerDep,
    metrics: MetricsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> BatchWritten:
    """Record up to 1000 exchanges, all or nothing; a refusal names the failing `index`."""
    requests = [_request(item) for item in body.exchanges]
    batch = ledger.record_batch(
        _organisation(caller), requests, idempotency_key, key_id=caller.key_id
    )
    if batch.replayed:
        response.headers[REPLAYED] = "true"
    else:
        for record in batch.exchanges:
            metrics.exchange_recorded(record.status)
    # One validation of the whole batch: a thousand separate ones cost a tenth of its time.
    return BatchWritten.model_validate(batch, from_attributes=True)


@router.post(
    "/{exchange_id}/confirm", response_model=ExchangeWritten, responses=errors(403, 404, 409)
)
def confirm_exchange(exchange_id: ExchangeId, caller: Writer, ledger: LedgerDep) -> ExchangeWritten:
    """Confirm an exchange that waits for your organisation; balances move now."""
    return _written(ledger.confirm_exchange(exchange_id, caller.organisation))


@router.post(
    "/{exchange_id}/reject", response_model=ExchangeWritten, responses=errors(403, 404, 409)
)
def reject_exchange(
    exchange_id: ExchangeId, body: ReasonBody, caller: Writer, ledger: LedgerDep
) -> ExchangeWritten:
    """Reject an exchange that waits for your organisation; no balance moves."""
    return _written(ledger.reject_exchange(exchange_id, caller.organisation, body.reason))


@router.post(
    "/{exchange_id}/reverse", response_model=ExchangeWritten, responses=errors(403, 404, 409)
)
def reverse_exchange(
    exchange_id: ExchangeId, body: ReasonBody, caller: Reverser, ledger: LedgerDep
) -> ExchangeWritten:
    """Reverse a completed exchange with a compensating record (either party, or admin)."""
    acting = None if caller.role == "admin" else caller.organisation
    return _written(ledger.reverse_exchange(exchange_id, acting, body.reason))


@router.get("/{exchange_id}", response_model=ExchangeRead, responses=errors(403, 404))
def get_exchange(exchange_id: ExchangeId, caller: Caller, read: ReadsDep) -> Row:
    """One exchange (its parties' brokers, the poster that recorded it, auditors, admin)."""
    position = read.as_of()
    row = readable_exchange(caller, exchange_id, read.models.exchange(exchange_id))
    return {**row, "as_of_position": position}


@router.get("", response_model=ExchangePage, responses=errors(403))
def list_exchanges(
    caller: Caller,
    read: ReadsDep,
    page: Paging,
    account: Annotated[
        str | None,
        Query(
            description="Only exchanges with this account",
            pattern=ACCOUNT_ID.pattern,
        ),
    ] = None,
    state: Annotated[Status | None, Query(alias="status", description="Only this status")] = None,
) -> Row:
    """Exchanges oldest first: a broker's involve its organisation, a poster's are its own."""
    scope: dict[str, str | None] = {}
    if caller.role == "broker":
        scope["organisation"] = caller.organisation
    elif caller.role == "poster":
        scope["recorded_by_key"] = caller.key_id
    position = read.as_of()
    exchanges, cursor = read.models.exchanges(
        account=account, status=state, after=page.after, limit=page.limit, **scope
    )
    return {"exchanges": exchanges, "next": cursor, "as_of_position": position}


def _organisation(caller: Principal) -> str:
    assert caller.organisation is not None, "broker and poster keys belong to an organisation"
    return caller.organisation


def _request(body: ExchangeCreate) -> ExchangeRequest:
    return ExchangeRequest(
        giver=body.giver,
        receiver=body.receiver,
        minutes=body.minutes,
        service_date=body.service_date,
        category=body.category,
        note=body.note,
    )


def _written(record: ExchangeRecord) -> ExchangeWritten:
    return ExchangeWritten.model_validate(record, from_attributes=True)


def readable_exchange(caller: Principal, exchange_id: str, row: Row | None) -> Row:
    """The exchange, for a caller who may read it. Only those who may read every exchange
    hear that one does not exist: to anyone else, an exchange they may not read and one
    that does not exist answer the same 403, as another organisation's accounts do."""
    if caller.role in ("admin", "auditor"):
        if row is None:
            raise UnknownExchange(f"no exchange '{exchange_id}'")
        return row
    if row is not None and _may_read(caller, row):
        return row
    raise Forbidden("this key may not read this exchange")


def _may_read(caller: Principal, row: Row) -> bool:
    if caller.role == "poster":
        return bool(row.get("recorded_by_key") == caller.key_id)
    parties = {organisation_of(str(row["giver"])), organisation_of(str(row["receiver"]))}
    return caller.role == "broker" and caller.organisation in parties
