"""The pages' default period, "Last 12 months", is twelve months to today."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from api.web.period import Period, presets


def test_on_the_first_of_december_the_last_twelve_months_start_a_year_before() -> None:
    today = date(2026, 12, 1)

    period = Period.parse(None, None, every=False, today=today)
    choices = dict(presets(today))

    assert (period.start, period.end) == (date(2025, 12, 2), today)
    assert choices["Last 12 months"] != choices["2026 so far"]


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_the_last_twelve_months_are_a_year_of_days_whatever_the_day(today: date) -> None:
    period = Period.parse(None, None, every=False, today=today)

    assert period.start is not None
    assert (today - period.start).days + 1 in (365, 366)
