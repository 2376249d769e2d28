"""Witness keys and the cosignatures the ledger accepted."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from api.schemas.common import Position, Public, Request


class WitnessKeyCreate(Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "vkey": "witness.example/riverside+3f89a6be"
                "+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
                "url": "https://witness.riverside.example",
            }
        },
    )

    vkey: str = Field(max_length=500, description="As `timebank witness keygen` prints it")
    url: str | None = Field(
        None, max_length=500, description="A C2SP tlog-witness endpoint to push checkpoints to"
    )


class WitnessKeyPublic(Public):
    id: str
    organisation: str
    vkey: str
    url: str | None


class WitnessKeyCreated(WitnessKeyPublic):
    position: Position


class WitnessKeyPage(Public):
    witness_keys: list[WitnessKeyPublic]
    as_of_position: Position


class CosignatureAccepted(Public):
    witness_key: str
    organisation: str
    time: int = Field(description="When the witness cosigned, as a POSIX timestamp")


class CosignaturesAccepted(Public):
    size: int
    cosignatures: list[CosignatureAccepted]
