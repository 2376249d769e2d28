"""Accounts: open, read, change limits, close; statements and reciprocity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from api.deps import (
    MAX_POSITION,
    Caller,
    LedgerDep,
    Manager,
    Paging,
    Reads,
    ReadsDep,
    may_read_organisation,
)
from api.openapi import errors
from api.schemas.accounts import (
    AccountCreate,
    AccountRead,
    AccountUpdate,
    AccountWritten,
    Erasure,
    ErasureRequest,
    Profile,
    ProfileUpdate,
    Reciprocity,
    Statement,
)
from api.schemas.common import IsoDate
from api.strict import StrictJSONRoute
from domain.errors import Forbidden, InvalidRequest, UnknownAccount
from domain.rules import organisation_of
from ledger import UNSET, Principal

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], route_class=StrictJSONRoute)
AccountIdPath = Annotated[
    str, Path(description='"{organisation}:{ref}"', examples=["riverside:m-0042"])
]
AS_OF = (
    "What the ledger said at the end of this UTC day: the exchanges recorded by then"
    " (by recorded_at; an account opened later answers 404)"
)
AT_POSITION = "Balance as it stood at this position"
SERVICE_DATE_TO = (
    "Balance counting the exchanges with a service date on or before this day, whenever they"
    " were recorded (after a migration: the history by its own dates)"
)
Row = dict[str, Any]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountWritten,
    responses=errors(403, 409),
)
def open_account(body: AccountCreate, caller: Caller, ledger: LedgerDep) -> AccountWritten:
    """Open an account for a participant (broker, poster; admin names the organisation)."""
    org = _acting_for(caller, body.organisation)
    max_balance = body.max_balance if "max_balance" in body.model_fields_set else UNSET
    record = ledger.open_account(org, body.ref, body.kind, body.credit_limit, max_balance)
    return AccountWritten.model_validate(record, from_attributes=True)


@router.get("/{account_id}", response_model=AccountRead, responses=errors(403, 404))
def get_account(
    account_id: AccountIdPath,
    caller: Caller,
    read: ReadsDep,
    ledger: LedgerDep,
    on: Annotated[IsoDate | None, Query(alias="as_of", description=AS_OF)] = None,
    at_position: Annotated[
        int | None, Query(ge=0, le=MAX_POSITION, description=AT_POSITION)
    ] = None,
    service_date_to: Annotated[IsoDate | None, Query(description=SERVICE_DATE_TO)] = None,
) -> Row:
    """An account's balance and limits: now, as recorded at a date or position, or by
    service date."""
    _may_read_account(caller, account_id)
    if sum(when is not None for when in (on, at_position, service_date_to)) > 1:
        raise InvalidRequest("give one of as_of, at_position or service_date_to", field="as_of")
    if at_position is None and on is None and service_date_to is None:
        position, row = read.now(lambda models: models.account_now(account_id))
    elif service_date_to is not None:
        position = read.as_of()
        row = read.models.account_by_service_date(account_id, service_date_to)
    else:
        position = read.as_of()
        if at_position is not None:
            read.wait(at_position)
        row = read.models.account(account_id, at_position=at_position, as_of=on)
    if row is None:
        raise UnknownAccount(f"no account '{account_id}'")
    name = ledger.display_names([account_id]).get(account_id) if _names(caller, row) else None
    return {**row, "display_name": name, "as_of_position": position}


@router.put("/{account_id}/profile", response_model=Profile, responses=errors(403, 404))
def set_profile(
    account_id: AccountIdPath, body: ProfileUpdate, caller: Manager, ledger: LedgerDep
) -> Row:
    """Give the account a display name (broker, admin): kept outside the event log."""
    name = ledger.set_display_name(account_id, _own(caller), body.display_name)
    return {"id": account_id, "display_name": name}


@router.post("/{account_id}/erase", response_model=Erasure, responses=errors(403, 404))
def erase_account(
    account_id: AccountIdPath,
    caller: Manager,
    ledger: LedgerDep,
    read: ReadsDep,
    body: ErasureRequest | None = None,
) -> Row:
    """Erase the account's personal data (broker, admin): every note and reason of its
    exchanges, in every organisation, and its display name. Balances and history stay."""
    request_ref = body.request_ref if body is not None else None

    def count(key_ids: set[str]) -> int:
        read.wait(ledger.head_position())  # so that the count sees every note recorded
        return read.models.sealed_notes(account_id, key_ids)

    record = ledger.erase_personal_data(account_id, _own(caller), request_ref, count)
    return {
        "account": record.account,
        "notes_erased": record.notes_erased,
        "already_erased": record.already_erased,
        "position": record.position,
    }


@router.get("/{account_id}/statement", response_model=Statement, responses=errors(403, 404))
def get_statement(account_id: AccountIdPath, caller: Caller, read: ReadsDep, page: Paging) -> Row:
    """Entries oldest first, with signed minutes and the running balance after each."""
    position = _existing(read, caller, account_id)
    entries, cursor = read.models.statement(account_id, page.after, page.limit)
    return {"entries": entries, "next": cursor, "as_of_position": position}


@router.get("/{account_id}/reciprocity", response_model=Reciprocity, responses=errors(403, 404))
def get_reciprocity(
    account_id: AccountIdPath,
    caller: Caller,
    read: ReadsDep,
    start: Annotated[IsoDate | None, Query(alias="from", description="First service date")] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="Last service date")] = None,
) -> Row:
    """How much the participant gave and received, and with how many partners."""
    if start is not None and end is not None and start > end:
        raise InvalidRequest("'from' must not be after 'to'", field="from")
    position = _existing(read, caller, account_id)
    return {**read.models.reciprocity(account_id, start, end), "as_of_position": position}


@router.patch("/{account_id}", response_model=AccountWritten, responses=errors(403, 404))
def change_limits(
    account_id: AccountIdPath, body: AccountUpdate, caller: Manager, ledger: LedgerDep
) -> AccountWritten:
    """Change an account's limits (broker, admin). Past exchanges are never rewritten."""
    max_balance = body.max_balance if "max_balance" in body.model_fields_set else UNSET
    record = ledger.change_limits(account_id, _own(caller), body.credit_limit, max_balance)
    return AccountWritten.model_validate(record, from_attributes=True)


@router.post("/{account_id}/close", response_model=AccountWritten, responses=errors(403, 404))
def close_account(account_id: AccountIdPath, caller: Manager, ledger: LedgerDep) -> AccountWritten:
    """Close an account (broker, admin): no new exchanges; its history stays readable."""
    record = ledger.close_account(account_id, _own(caller))
    return AccountWritten.model_validate(record, from_attributes=True)


def _acting_for(caller: Principal, named: str | None) -> str:
    if caller.role == "admin":
        if named is None:
            raise InvalidRequest("name the account's organisation", field="organisation")
        return named
    if caller.role not in ("broker", "poster") or caller.organisation is None:
        raise Forbidden(f"a {caller.role} key may not open accounts")
    if named is not None and named != caller.organisation:
        raise Forbidden(f"this key acts for {caller.organisation} only")
    return caller.organisation


def _own(caller: Principal) -> str | None:
    """The organisation a broker is confined to; None lets the operator act on any."""
    return None if caller.role == "admin" else caller.organisation


def _names(caller: Principal, row: Row) -> bool:
    """Display names are for the account's organisation's brokers and the operator."""
    return caller.role == "admin" or (
        caller.role == "broker" and caller.organisation == row["organisation"]
    )


def _may_read_account(caller: Principal, account_id: str) -> None:
    if caller.role == "poster":
        raise Forbidden("a poster key reads only the exchanges it posted")
    may_read_organisation(caller, organisation_of(account_id))


def _existing(read: Reads, caller: Principal, account_id: str) -> int:
    """Authorise, wait for `min_position`, and check the account exists; answer as_of."""
    _may_read_account(caller, account_id)
    position = read.as_of()
    if read.models.account(account_id) is None:
        raise UnknownAccount(f"no account '{account_id}'")
    return position
