"""The organisation summary: the figures brokers report to funders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import Caller, ReadsDep, may_read_organisation
from api.openapi import errors
from api.schemas.common import IsoDate
from api.schemas.summary import Summary
from api.strict import StrictJSONRoute
from domain.errors import Forbidden, InvalidRequest, UnknownOrganisation

router = APIRouter(prefix="/v1/organisations", tags=["reports"], route_class=StrictJSONRoute)


@router.get("/{org}/summary", response_model=Summary, responses=errors(403, 404))
def get_summary(
    org: Annotated[str, Path(description="The organisation's id")],
    caller: Caller,
    read: ReadsDep,
    start: Annotated[IsoDate | None, Query(alias="from", description="First service date")] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="Last service date")] = None,
) -> dict[str, Any]:
    """Completed exchanges with a party in the organisation, by category and month."""
    if caller.role == "poster":
        raise Forbidden("a poster key reads only the exchanges it posted")
    may_read_organisation(caller, org)
    if start is not None and end is not None and start > end:
        raise InvalidRequest("'from' must not be after 'to'", field="from")
    position = read.as_of()
    if read.models.organisation(org) is None:
        raise UnknownOrganisation(f"no organisation '{org}'")
    summary = read.models.summary(org, start, end)
    return {**summary, "as_of_position": position}
