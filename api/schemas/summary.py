"""The organisation summary that brokers report to funders."""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from api.schemas.common import AsOfPosition, Public

Count = int | None  # null: hidden by min_count


class Month(Public):
    month: str = Field(examples=["2025-03"])
    exchanges: int
    minutes: int
    active_accounts: Count


class Summary(Public):
    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        json_schema_extra={
            "example": {
                "organisation": "riverside",
                "from": "2025-01-01",
                "to": "2025-03-31",
                "accounts": 120,
                "active_accounts": 64,
                "gave_and_received": 31,
                "exchanges": 410,
                "minutes": 30600,
                "cross_organisation_minutes": 2400,
                "connections": 188,
                "by_category": {"gardening": 9000, "uncategorised": 1200},
                "by_month": [
                    {"month": "2025-01", "exchanges": 120, "minutes": 9000, "active_accounts": 40}
                ],
                "gifted_minutes": 240,
                "suppressed": [],
                "as_of_position": 5120,
            }
        },
    )

    organisation: str
    start: date | None = Field(alias="from", description="First service date counted")
    end: date | None = Field(alias="to", description="Last service date counted")
    accounts: Count = Field(description="The organisation's accounts")
    active_accounts: Count = Field(description="Its accounts that gave or received in the period")
    gave_and_received: Count = Field(description="Its accounts that did both")
    exchanges: int = Field(description="Completed exchanges with a party in the organisation")
    minutes: int
    cross_organisation_minutes: int
    connections: Count = Field(description="Distinct unordered pairs of accounts that exchanged")
    by_category: dict[str, int] = Field(description='Minutes by category ("uncategorised")')
    by_month: list[Month]
    gifted_minutes: int = Field(description="Credits passed on as gifts (not time given)")
    suppressed: list[str] = Field(description="Counts of people below min_count, hidden (null)")
    as_of_position: AsOfPosition
