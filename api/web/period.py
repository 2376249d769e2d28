"""The period a page reports on: `from` and `to` service dates, inclusive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from api.web.charts import default_start


@dataclass(frozen=True)
class Period:
    start: date | None
    end: date | None
    error: str | None = None

    @classmethod
    def parse(cls, start: str | None, end: str | None, every: bool, today: date) -> Period:
        """No dates at all: the last twelve months; `every`: all time."""
        if every:
            return cls(None, None)
        if not start and not end:
            return cls(default_start(today), today)
        try:
            first = date.fromisoformat(start) if start else None
            last = date.fromisoformat(end) if end else None
        except ValueError:
            fallback = cls(default_start(today), today).params
            return cls(default_start(today), today, f"Enter dates as YYYY-MM-DD; {fallback}.")
        if first and last and first > last:
            return cls(last, first, "The start came after the end, so the two were swapped.")
        return cls(first, last)

    @property
    def params(self) -> str:
        return f"showing {self.label}"

    @property
    def label(self) -> str:
        if self.start is None and self.end is None:
            return "all time"
        first = self.start.isoformat() if self.start else "the beginning"
        return f"{first} to {self.end.isoformat() if self.end else 'today'}"

    def query(self) -> dict[str, str]:
        """The period as query parameters, for links that keep it."""
        if self.start is None and self.end is None:
            return {"period": "all"}
        found = {"from": self.start, "to": self.end}
        return {key: value.isoformat() for key, value in found.items() if value}


def presets(today: date) -> list[tuple[str, dict[str, str]]]:
    """Common choices, as (label, query parameters)."""
    this_year = date(today.year, 1, 1)
    last_year = (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    return [
        ("Last 12 months", Period(default_start(today), today).query()),
        (f"{today.year} so far", Period(this_year, today).query()),
        (str(today.year - 1), Period(*last_year).query()),
        ("All time", {"period": "all"}),
    ]
