"""The change feed: every change that concerns an organisation, oldest first."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Caller, Paging, ReadsDep, may_read_organisation
from api.openapi import errors
from api.routers.organisations import Org
from api.schemas.changes import ChangePage
from api.strict import StrictJSONRoute
from domain.errors import UnknownOrganisation

router = APIRouter(prefix="/v1/organisations", tags=["changes"], route_class=StrictJSONRoute)


@router.get("/{org}/changes", response_model=ChangePage, responses=errors(403, 404))
def list_changes(org: Org, caller: Caller, read: ReadsDep, page: Paging) -> dict[str, object]:
    """Changes after position `after` (its brokers, auditors, admin; a poster: its own)."""
    may_read_organisation(caller, org)
    read.as_of()
    if read.models.organisation(org) is None:
        raise UnknownOrganisation(f"no organisation '{org}'")
    key = caller.key_id if caller.role == "poster" else None
    changes, after = read.models.changes(org, page.after, page.limit, key)
    return {"changes": changes, "next": after}
