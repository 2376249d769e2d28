"""The organisation summary: the figures brokers report to funders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api import suppression
from api.deps import Caller, ReadsDep, may_read_organisation
from api.openapi import errors
from api.schemas.common import IsoDate
from api.schemas.summary import Summary
from api.strict import StrictJSONRoute
from domain.errors import Forbidden, InvalidRequest, UnknownOrganisation
from domain.rules import MAX_MIN_COUNT

router = APIRouter(prefix="/v1/organisations", tags=["reports"], route_class=StrictJSONRoute)
MinCount = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_MIN_COUNT,
        description="For reports that leave the organisation: every count of people below "
        "this reads null and is named in `suppressed`, with any cell a total would give away",
    ),
]


@router.get("/{org}/summary", response_model=Summary, responses=errors(403, 404))
def get_summary(
    org: Annotated[str, Path(description="The organisation's id")],
    caller: Caller,
    read: ReadsDep,
    start: Annotated[IsoDate | None, Query(alias="from", description="First service date")] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="Last service date")] = None,
    min_count: MinCount = None,
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
    summary = suppression.summary(read.models.summary(org, start, end), min_count)
    return {**summary, "as_of_position": position}
