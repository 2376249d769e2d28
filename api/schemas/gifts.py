"""Gifts of credits: passed on to the community pot or another member, not time given."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from api.schemas.common import AccountId, AsOfPosition, Minutes, Note, Position, Public, Request

EXAMPLE: dict[str, Any] = {
    "from": "riverside:m-0042",
    "to": "riverside:pot",
    "minutes": 120,
    "note": "to the pot",
}


class GiftCreate(Request):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, json_schema_extra={"example": EXAMPLE}
    )

    from_account: AccountId = Field(alias="from", description="Who passes credits on")
    to_account: AccountId = Field(alias="to", description="Who gets them (same organisation)")
    minutes: Minutes
    note: Note | None = Field(None, description="At most 500 characters; no personal data")


class GiftPublic(Public):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str
    status: Literal["completed", "reversed"]
    from_account: str = Field(alias="from", serialization_alias="from")
    to_account: str = Field(alias="to", serialization_alias="to")
    minutes: int
    note: str | None = Field(description="In clear to its readers; null once erased")
    note_erased: bool = Field(
        False, description="Its note was erased with an account's personal data"
    )
    day: date = Field(description="The day it was recorded (UTC): what summaries count it by")
    recorded_at: datetime
    recorded_by: str = Field(description="The organisation that recorded it")


class GiftWritten(GiftPublic):
    position: Position


class GiftRead(GiftPublic):
    position: int = Field(description="Position at which it was recorded")
    as_of_position: AsOfPosition
