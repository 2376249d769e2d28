"""Bar charts as inline SVG geometry: no script, no inline style (the pages' CSP allows none).

The numbers behind every chart are also in a table on the same page; the chart itself is
one image with a text alternative that says what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT = 640, 220
TOP, BOTTOM, LEFT = 22, 34, 8
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: str
    label: str
    show_label: bool


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM


def months_between(first: str, last: str) -> list[str]:
    """Every "YYYY-MM" from first to last, so quiet months show as empty bars."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_label(month: str) -> str:
    name = MONTHS[int(month[5:7]) - 1]
    return f"{name} {month[2:4]}" if month.endswith("-01") else name


def bar_chart(title: str, unit: str, points: list[tuple[str, float | None]]) -> Chart:
    """One bar per (month, value); bars scale to the largest value. A value of None is a
    small number hidden (the view for funders): no bar, and "hidden" where its number
    would be, never a zero that reads as a fact."""
    if not points:
        return Chart(title, f"{title}: nothing in this period.", [])
    shown = [(month, value) for month, value in points if value is not None]
    top = max((value for _, value in shown), default=0) or 1
    slot = (WIDTH - LEFT) / len(points)
    step = max(1, round(len(points) / 12))  # at most about twelve labels fit on a phone
    bars = []
    for index, (month, value) in enumerate(points):
        height = (HEIGHT - TOP - BOTTOM) * (value or 0) / top
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * 0.15, 1),
                y=round(HEIGHT - BOTTOM - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                value="hidden" if value is None else f"{value:g}",
                label=month_label(month),
                show_label=index % step == 0,
            )
        )
    return Chart(title, _description(title, unit, points, shown), bars)


def _description(
    title: str, unit: str, points: list[tuple[str, float | None]], shown: list[tuple[str, float]]
) -> str:
    span = f"{title}, {points[0][0]} to {points[-1][0]}"
    hidden = len(points) - len(shown)
    aside = f" {hidden} month(s) hidden as small numbers." if hidden else ""
    if not shown:
        return f"{span}: every month hidden as a small number."
    busiest = max(shown, key=lambda point: point[1])
    return (
        f"{span}: the most was {busiest[1]:g} {unit} in {busiest[0]}.{aside}"
        " The figures are in the table below."
    )


def default_start(today: date) -> date:
    """The first day of the last twelve months to today: the day after the same day a year
    before (365 or 366 days in all), so that the period is never shorter than a year."""
    try:
        a_year_before = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        a_year_before = date(today.year - 1, 2, 28)
    return a_year_before + timedelta(days=1)
