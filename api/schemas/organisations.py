"""Organisations and access keys."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from api.schemas.common import Limit, OrganisationId, Position, Public, Request
from domain.rules import LABEL_MAX, MAX_MIN_COUNT, NAME_MAX, PRINTABLE

Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX, pattern=PRINTABLE)]
MinCountSetting = Annotated[
    int | None,
    Field(
        strict=True,
        ge=1,
        le=MAX_MIN_COUNT,
        description="The min_count of reports that leave the organisation (the funder CSV, "
        "the pages' view for funders); null: none",
    ),
]


class OrganisationCreate(Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"id": "riverside", "name": "Riverside Timebank"}},
    )

    id: OrganisationId
    name: Name
    credit_limit: Limit = Field(
        600, description="Minutes an account may go below zero (default 600: ten hours)"
    )
    max_balance: Limit | None = Field(None, description="Highest balance allowed; null: no cap")
    pending_expiry_days: int = Field(
        14,
        strict=True,
        ge=1,
        le=365,
        description="Days a cross-organisation exchange waits for confirmation",
    )
    report_min_count: MinCountSetting = None


class OrganisationChange(Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"report_min_count": 5}}
    )

    report_min_count: MinCountSetting


class OrganisationPublic(Public):
    id: str
    name: str
    credit_limit: int
    max_balance: int | None
    pending_expiry_days: int
    report_min_count: int | None = None


class OrganisationCreated(OrganisationPublic):
    position: Position


class OrganisationRead(OrganisationPublic):
    as_of_position: int


class KeyCreate(Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"role": "broker", "organisation": "riverside", "label": "front desk"}
        },
    )

    role: Literal["broker", "poster", "auditor"] = Field(
        description="broker: reads and writes for one organisation; poster: writes for one "
        "organisation and reads what it posted; auditor: reads everything, writes nothing"
    )
    organisation: OrganisationId | None = Field(
        None, description="Required for broker and poster keys, absent for auditor keys"
    )
    label: Annotated[str, Field(max_length=LABEL_MAX, pattern=PRINTABLE)] | None = Field(
        None, description="A note for the operator: who holds the key"
    )


class KeyIssued(Public):
    id: str = Field(description="The key's id, for revoking it")
    key: str = Field(description="The secret bearer key. Shown only in this answer: store it now")
    role: str
    organisation: str | None
    label: str | None
    position: Position
