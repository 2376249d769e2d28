"""Participation over time: how many are new, how many come back, how cohorts keep going."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BeforeValidator

from api import suppression
from api.deps import Caller, ReadsDep, may_read_organisation
from api.openapi import errors
from api.routers.summary import MinCount
from api.schemas.participation import Participation
from api.strict import StrictJSONRoute
from domain.errors import Forbidden, InvalidRequest, UnknownOrganisation

router = APIRouter(prefix="/v1/organisations", tags=["reports"], route_class=StrictJSONRoute)
MAX_MONTHS = 240


def _month_or_date(value: Any) -> Any:
    """A month as YYYY-MM (its first day), or a date as YYYY-MM-DD (its month)."""
    if isinstance(value, str) and len(value) == 7:
        value += "-01"
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("must be a month as YYYY-MM or a date as YYYY-MM-DD")
    return date.fromisoformat(value)


MonthOrDate = Annotated[date, BeforeValidator(_month_or_date)]


@router.get("/{org}/participation", response_model=Participation, responses=errors(403, 404))
def get_participation(
    org: Annotated[str, Path(description="The organisation's id")],
    caller: Caller,
    read: ReadsDep,
    start: Annotated[
        MonthOrDate | None,
        Query(alias="from", description="First month (default: the first with an exchange)"),
    ] = None,
    end: Annotated[
        MonthOrDate | None, Query(alias="to", description="Last month (default: this month)")
    ] = None,
    min_count: MinCount = None,
) -> dict[str, Any]:
    """Active, new and returning members by month, and cohorts by their first month."""
    if caller.role == "poster":
        raise Forbidden("a poster key reads only the exchanges it posted")
    may_read_organisation(caller, org)
    if start is not None and end is not None and start > end:
        raise InvalidRequest("'from' must not be after 'to'", field="from")
    if start is not None and end is not None and _months(start, end) > MAX_MONTHS:
        raise InvalidRequest(f"at most {MAX_MONTHS} months at a time", field="from")
    position = read.as_of()
    if read.models.organisation(org) is None:
        raise UnknownOrganisation(f"no organisation '{org}'")
    report = read.models.participation(org, start, end)
    if len(report["months"]) > MAX_MONTHS:
        raise InvalidRequest(f"at most {MAX_MONTHS} months at a time: give 'from'", field="from")
    return {**suppression.participation(report, min_count), "as_of_position": position}


def _months(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1
