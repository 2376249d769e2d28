"""Participation over time: new and returning members by month, and cohorts."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from api.schemas.common import AsOfPosition, Public

Count = int | None  # null: hidden by min_count


class ParticipationMonth(Public):
    month: str = Field(examples=["2025-03"])
    active: Count = Field(description="Own accounts that gave or received this month")
    new: Count = Field(description="Of them, those whose first exchange ever was this month")
    returning: Count = Field(description="Of them, those active in an earlier month")
    givers: Count
    receivers: Count
    gave_and_received: Count


class Cohort(Public):
    cohort: str = Field(description="The month of the members' first exchange")
    size: Count
    active: list[Count] = Field(
        description="How many of them were active, one count a month from the cohort's to `to`"
    )


class Participation(Public):
    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        json_schema_extra={
            "example": {
                "organisation": "riverside",
                "from": "2025-01",
                "to": "2025-02",
                "months": [
                    {"month": "2025-01", "active": 30, "new": 30, "returning": 0,
                     "givers": 22, "receivers": 20, "gave_and_received": 12},
                    {"month": "2025-02", "active": 28, "new": 6, "returning": 22,
                     "givers": 20, "receivers": 19, "gave_and_received": 11},
                ],
                "cohorts": [
                    {"cohort": "2025-01", "size": 30, "active": [30, 22]},
                    {"cohort": "2025-02", "size": 6, "active": [6]},
                ],
                "suppressed": [],
                "as_of_position": 5120,
            }
        },
    )  # fmt: skip

    organisation: str
    start: str = Field(alias="from", description="First month counted (YYYY-MM)")
    end: str = Field(alias="to", description="Last month counted (YYYY-MM)")
    months: list[ParticipationMonth]
    cohorts: list[Cohort]
    suppressed: list[str] = Field(description="Counts below min_count, hidden (null)")
    as_of_position: AsOfPosition
