"""Field types shared by the request and response shapes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from domain.rules import (
    ACCOUNT_REF,
    CATEGORY,
    MAX_MINUTES,
    MIN_MINUTES,
    NOTE_MAX,
    ORGANISATION_ID,
    PRINTABLE,
    REASON_MAX,
)


def _iso_date(value: Any) -> Any:
    """Dates travel as ISO 8601 strings only: a number is not a date."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("must be a date as YYYY-MM-DD")
    return date.fromisoformat(value)


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
OrganisationId = Annotated[
    str,
    Field(pattern=ORGANISATION_ID.pattern, examples=["riverside"]),
]
AccountRef = Annotated[
    str,
    Field(
        pattern=ACCOUNT_REF.pattern,
        description="The organisation's own opaque reference for the participant (never a name)",
        examples=["m-0042"],
    ),
]
AccountId = Annotated[
    str, Field(description='"{organisation}:{ref}"', examples=["riverside:m-0042"])
]
Minutes = Annotated[
    int,
    Field(
        strict=True,
        ge=MIN_MINUTES,
        le=MAX_MINUTES,
        description=f"Whole minutes, {MIN_MINUTES} to {MAX_MINUTES}",
        examples=[90],
    ),
]
Limit = Annotated[int, Field(strict=True, ge=0, le=10**9)]
Category = Annotated[str, Field(pattern=CATEGORY.pattern, examples=["gardening"])]
Note = Annotated[str, Field(max_length=NOTE_MAX, pattern=PRINTABLE)]
Reason = Annotated[
    str,
    Field(
        min_length=1,
        max_length=REASON_MAX,
        pattern=PRINTABLE,
        examples=["recorded twice by mistake"],
    ),
]
Position = Annotated[
    int, Field(description="Global sequence number of the last event this write recorded")
]
AsOfPosition = Annotated[
    int, Field(description="The position the read models had processed when this was read")
]
Cursor = Annotated[
    str | None, Field(description="Pass as `after` to get the next page; null on the last page")
]


class Request(BaseModel):
    """Unknown fields are refused, so a misspelt optional field is never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    model_config = ConfigDict(extra="ignore")
