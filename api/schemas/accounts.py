"""Accounts, their statements and reciprocity."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from api.schemas.common import (
    AccountRef,
    AsOfPosition,
    Cursor,
    Limit,
    OrganisationId,
    Position,
    Public,
    Request,
)
from domain.rules import DISPLAY_NAME_MAX, PRINTABLE, REQUEST_REF_MAX

Kind = Literal["person", "organisation", "pot"]


class AccountCreate(Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"ref": "m-0042", "kind": "person"}}
    )

    ref: AccountRef
    kind: Kind = "person"
    credit_limit: Limit | None = Field(None, description="Default: the organisation's")
    max_balance: Limit | None = Field(
        None, description="Default (field left out): the organisation's; null: no cap"
    )
    organisation: OrganisationId | None = Field(
        None, description="Only for the operator's admin key; other keys act for their own"
    )


class AccountUpdate(Request):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"credit_limit": 900}})

    credit_limit: Limit | None = Field(None, description="Left out or null: unchanged")
    max_balance: Limit | None = Field(
        None, description="Left out: unchanged; null: no cap from now on"
    )


class AccountPublic(Public):
    id: str
    organisation: str
    ref: str
    kind: str
    status: Literal["open", "closed"]
    credit_limit: int
    max_balance: int | None
    balance: int = Field(description="Minutes earned minus minutes spent")
    given: int = Field(description="Minutes given in completed exchanges")
    received: int = Field(description="Minutes received in completed exchanges")
    over_limit: bool = Field(description="True when a reversal left it outside its limits")


class AccountWritten(AccountPublic):
    position: Position


class AccountRead(AccountPublic):
    display_name: str | None = Field(
        None, description="Only for the account's organisation's brokers and the operator"
    )
    as_of_position: AsOfPosition


class ProfileUpdate(Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"display_name": "Ann P."}}
    )

    display_name: Annotated[
        str, Field(min_length=1, max_length=DISPLAY_NAME_MAX, pattern=PRINTABLE)
    ] = Field(description="Kept outside the event log; erased with the account's notes")


class Profile(Public):
    id: str
    display_name: str


class ErasureRequest(Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"request_ref": "DSAR-2025-017"}}
    )

    request_ref: (
        Annotated[str, Field(min_length=1, max_length=REQUEST_REF_MAX, pattern=PRINTABLE)] | None
    ) = Field(None, description="Your case reference, recorded with the erasure")


class Erasure(Public):
    account: str
    notes_erased: int = Field(description="Notes made unreadable now (0 when already erased)")
    already_erased: bool = Field(description="Nothing was left to erase")
    position: Position


class AccountPage(Public):
    accounts: list[AccountPublic]
    next: Cursor
    as_of_position: AsOfPosition


class StatementEntry(Public):
    exchange_id: str
    counterparty: str
    minutes: int = Field(description="Signed: + earned, - spent")
    balance: int = Field(description="Running balance after this entry")
    service_date: date
    recorded_at: datetime
    category: str | None
    kind: Literal["exchange", "reversal", "gift"] = Field(
        description="exchange, gift (credits passed on), or reversal (of either)"
    )


class Statement(Public):
    entries: list[StatementEntry]
    next: Cursor
    as_of_position: AsOfPosition


class Reciprocity(Public):
    given: int
    received: int
    exchanges_given: int
    exchanges_received: int
    partners_given_to: int
    partners_received_from: int
    distinct_partners: int
    gave_and_received: bool
    as_of_position: AsOfPosition
