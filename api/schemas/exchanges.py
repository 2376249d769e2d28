"""Exchanges of time, one at a time or in batches."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from api.schemas.common import (
    AccountId,
    AsOfPosition,
    Category,
    Cursor,
    IsoDate,
    Minutes,
    Note,
    Position,
    Public,
    Reason,
    Request,
)

Status = Literal["pending", "completed", "rejected", "expired", "reversed"]
EXAMPLE: dict[str, Any] = {
    "giver": "riverside:m-0042",
    "receiver": "riverside:m-0107",
    "minutes": 90,
    "service_date": "2025-03-14",
    "category": "gardening",
}


class ExchangeCreate(Request):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": EXAMPLE})

    giver: AccountId = Field(description="Who gave the time: this account earns")
    receiver: AccountId = Field(description="Who received it: this account spends")
    minutes: Minutes
    service_date: IsoDate | None = Field(
        None, description="When the time was given (default today, never in the future)"
    )
    category: Category | None = None
    note: Note | None = Field(None, description="At most 500 characters; no personal data")


class BatchCreate(Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"exchanges": [EXAMPLE]}}
    )

    exchanges: Annotated[list[ExchangeCreate], Field(min_length=1, max_length=1000)]


class ReasonBody(Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"reason": "recorded twice by mistake"}}
    )

    reason: Reason


class ExchangePublic(Public):
    id: str
    status: Status
    giver: str
    receiver: str
    minutes: int
    service_date: date
    category: str | None
    note: str | None
    note_erased: bool = Field(
        False, description="The note or reasons were erased at a data subject's request"
    )
    recorded_at: datetime
    recorded_by: str = Field(description="The organisation that recorded it")


class ExchangeWritten(ExchangePublic):
    position: Position


class BatchWritten(Public):
    exchanges: list[ExchangeWritten]
    position: Position


class ExchangeView(ExchangePublic):
    recorded_by_key: str | None = Field(None, description="Id of the key that recorded it")
    awaiting: str | None = Field(None, description="The organisation that must confirm it")
    expires_on: date | None = Field(None, description="When a pending exchange expires")
    position: int = Field(description="Position at which it was recorded")


class ExchangeRead(ExchangeView):
    as_of_position: AsOfPosition


class ExchangePage(Public):
    exchanges: list[ExchangeView]
    next: Cursor
    as_of_position: AsOfPosition
