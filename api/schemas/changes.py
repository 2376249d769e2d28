"""The change feed and webhooks: what partners follow, and where it is delivered."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.common import Position, Public, Request
from api.schemas.exchanges import ExchangeView

ChangeType = Literal[
    "exchange.recorded",
    "exchange.confirmed",
    "exchange.rejected",
    "exchange.expired",
    "exchange.reversed",
    "account.opened",
    "account.limits_changed",
    "account.closed",
    "account.erased",
]


class AccountChanged(Public):
    id: str
    organisation: str
    ref: str | None
    kind: str | None
    status: str
    credit_limit: int | None
    max_balance: int | None


class Change(Public):
    position: Position
    type: ChangeType
    recorded_at: str
    exchange: ExchangeView | None = Field(
        None, description="The exchange as `GET /v1/exchanges/{id}` answers it, after the change"
    )
    account: AccountChanged | None = Field(None, description="The account, after the change")


class ChangePage(Public):
    changes: list[Change]
    next: str = Field(description="Pass as `after` for the changes that follow (the same if none)")


class WebhookCreate(Request):
    url: str = Field(max_length=2048, description="An http(s) URL on a public address")
    types: list[ChangeType] | None = Field(
        None, max_length=16, description="The change types to deliver (default: all)"
    )


class WebhookPublic(Public):
    id: str
    url: str
    types: list[ChangeType] | None
    enabled: bool = Field(description="False once disabled after repeated failures")
    cursor: int = Field(description="The position of the last change acknowledged or skipped")
    failures: int = Field(description="Consecutive failed attempts")
    next_attempt_at: float = Field(description="When the next attempt is due (Unix seconds)")
    last_error: str | None


class WebhookCreated(Public):
    id: str
    url: str
    types: list[ChangeType] | None
    secret: str = Field(description="`whsec_` + base64: shown only in this answer")


class WebhookList(Public):
    webhooks: list[WebhookPublic]


class Delivery(Public):
    position: Position
    attempt: int
    message_id: str = Field(description="The `webhook-id` header sent")
    attempted_at: float
    delivered: bool
    http_status: int | None
    error: str | None


class DeliveryList(Public):
    webhook: WebhookPublic
    deliveries: list[Delivery] = Field(description="The latest attempts, newest first")
