"""Organisations and their keys: the operator's side of the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from api.deps import (
    Admin,
    Caller,
    LedgerDep,
    Manager,
    Paging,
    Reads,
    ReadsDep,
    may_read_organisation,
)
from api.openapi import errors
from api.schemas.accounts import AccountPage
from api.schemas.exchanges import ExchangePage
from api.schemas.organisations import (
    KeyCreate,
    KeyIssued,
    OrganisationChange,
    OrganisationCreate,
    OrganisationCreated,
    OrganisationRead,
)
from api.strict import StrictJSONRoute
from domain.errors import Forbidden, LedgerError, UnknownOrganisation
from ledger import Principal

router = APIRouter(prefix="/v1/organisations", tags=["organisations"], route_class=StrictJSONRoute)
keys = APIRouter(prefix="/v1/keys", tags=["keys"], route_class=StrictJSONRoute)
Org = Annotated[str, Path(description="The organisation's id", examples=["riverside"])]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationCreated,
    responses=errors(403, 409),
)
def register_organisation(
    body: OrganisationCreate, caller: Admin, ledger: LedgerDep
) -> OrganisationCreated:
    """Register a partner organisation (admin). Its defaults apply to the accounts it opens."""
    record = ledger.register_organisation(
        body.id, body.name, body.credit_limit, body.max_balance, body.pending_expiry_days
    )
    created = OrganisationCreated.model_validate(record, from_attributes=True)
    if body.report_min_count is not None:
        position = ledger.set_report_min_count(body.id, body.report_min_count)
        created = created.model_copy(
            update={"report_min_count": body.report_min_count, "position": position}
        )
    return created


@router.patch("/{org}", response_model=OrganisationCreated, responses=errors(403, 404))
def change_organisation(
    org: Org, body: OrganisationChange, caller: Manager, ledger: LedgerDep
) -> OrganisationCreated:
    """Change the organisation's reporting default (its broker, admin)."""
    may_read_organisation(caller, org)
    position = ledger.set_report_min_count(org, body.report_min_count)
    record = ledger.get_organisation(org)
    changed = OrganisationCreated.model_validate(record, from_attributes=True)
    return changed.model_copy(
        update={"report_min_count": body.report_min_count, "position": position}
    )


@router.get("/{org}", response_model=OrganisationRead, responses=errors(403, 404))
def get_organisation(org: Org, caller: Caller, read: ReadsDep) -> dict[str, object]:
    """An organisation and its defaults (its own keys, auditors, admin)."""
    may_read_organisation(caller, org)
    position = read.as_of()
    row = read.models.organisation(org)
    if row is None:
        raise UnknownOrganisation(f"no organisation '{org}'")
    min_count = read.models.report_min_count(org)
    return {**row, "report_min_count": min_count, "as_of_position": position}


@router.get("/{org}/accounts", response_model=AccountPage, responses=errors(403, 404))
def list_accounts(org: Org, caller: Caller, read: ReadsDep, page: Paging) -> dict[str, object]:
    """The organisation's accounts, ordered by id (its broker, auditors, admin)."""
    position = _may_oversee(caller, org, read)
    accounts, cursor = read.models.accounts(org, page.after, page.limit)
    return {"accounts": accounts, "next": cursor, "as_of_position": position}


@router.get("/{org}/pending", response_model=ExchangePage, responses=errors(403, 404))
def list_pending(org: Org, caller: Caller, read: ReadsDep, page: Paging) -> dict[str, object]:
    """Exchanges from other organisations that wait for this one to confirm or reject."""
    position = _may_oversee(caller, org, read)
    exchanges, cursor = read.models.pending(org, page.after, page.limit)
    return {"exchanges": exchanges, "next": cursor, "as_of_position": position}


@keys.post("", status_code=status.HTTP_201_CREATED, response_model=KeyIssued, responses=errors(403))
def issue_key(body: KeyCreate, caller: Admin, ledger: LedgerDep) -> KeyIssued:
    """Issue a key (admin). The secret `key` is in this answer only: hand it over safely."""
    issued = ledger.issue_key(body.role, body.organisation, body.label)
    return KeyIssued.model_validate(issued, from_attributes=True)


@keys.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(403, 404))
def revoke_key(
    key_id: Annotated[str, Path(description="The key's id, as issued")],
    caller: Admin,
    ledger: LedgerDep,
) -> Response:
    """Revoke a key (admin). It stops working at once, in every process."""
    try:
        ledger.revoke_key(key_id)
    except Forbidden:  # the operator may revoke any key: refused means there is none
        raise NoSuchKey(f"no key '{key_id}'") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class NoSuchKey(LedgerError):
    code = "not_found"


def _may_oversee(caller: Principal, org: str, read: Reads) -> int:
    """Authorise, wait for `min_position`, and check the organisation exists; answer as_of."""
    if caller.role == "poster":
        raise Forbidden("a poster key reads only the exchanges it posted")
    may_read_organisation(caller, org)
    position = read.as_of()
    if read.models.organisation(org) is None:
        raise UnknownOrganisation(f"no organisation '{org}'")
    return position
