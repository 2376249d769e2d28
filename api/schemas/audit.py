"""The audit log: hash-chained events and signed checkpoints."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.common import AsOfPosition, Public


class AuditEvent(Public):
    position: int = Field(description="Global sequence number")
    id: str = Field(description="The event's id")
    stream: str = Field(description="The aggregate the event belongs to", examples=["account:x:1"])
    version: int = Field(description="The event's version within its stream")
    type: str = Field(description="The event's name", examples=["Exchange.Recorded"])
    recorded_at: str = Field(description="ISO 8601, UTC")
    data: dict[str, Any] = Field(description="The event's fields")
    hash: str = Field(description="sha256(previous hash + JCS(event without hash)), hex")


class AuditEventPage(Public):
    events: list[AuditEvent]
    next: int | None = Field(description="Pass as `after` for the next page; null at the end")
    as_of_position: AsOfPosition


class Checkpoint(Public):
    position: int
    hash: str
    created_at: str
    signature: str = Field(description="Ed25519 over JCS({position, hash, created_at}), base64")
    public_key: str = Field(description="The raw 32-byte Ed25519 public key, base64")


class CheckpointPage(Public):
    checkpoints: list[Checkpoint]
    next: int | None = Field(description="Pass as `after` for the next page; null at the end")
    as_of_position: AsOfPosition
