"""The cohort table as a heat map: inline SVG geometry, shaded by how many of a cohort were
active in each month after it joined. No script, no inline style (the pages' CSP allows
none): each cell's shade is one of six classes the stylesheet colours.

A hidden cell (a small number, in the view for funders) is drawn hatched, with no number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.web.charts import MONTHS

CELL_W, CELL_H, LEFT, TOP = 44, 30, 74, 40
SHADES = 5


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    text: str
    shade: str  # "heat-0".."heat-5", or "heat-hidden"


@dataclass(frozen=True)
class HeatMap:
    title: str
    description: str
    cells: list[Cell]
    rows: list[tuple[int, str]]  # (y of the text, cohort label)
    columns: list[tuple[int, str]]  # (x of the text, "+n" months since joining)
    width: int
    height: int


def _label(month: str) -> str:
    return f"{MONTHS[int(month[5:7]) - 1]} {month[2:4]}"


def _shade(count: int | None, size: int | None) -> str:
    if count is None or size is None:
        return "heat-hidden"
    if not size or not count:
        return "heat-0"
    return f"heat-{max(1, round(SHADES * count / size))}"


def cohort_heat_map(cohorts: list[dict[str, Any]]) -> HeatMap:
    """One row per cohort, one column per month since it joined (month 0 is its first)."""
    longest = max((len(c["active"]) for c in cohorts), default=0)
    cells = [
        Cell(
            LEFT + column * CELL_W,
            TOP + row * CELL_H,
            "" if count is None else str(count),
            _shade(count, cohort["size"]),
        )
        for row, cohort in enumerate(cohorts)
        for column, count in enumerate(cohort["active"])
    ]
    rows = [
        (TOP + i * CELL_H + CELL_H // 2 + 5, _label(c["cohort"])) for i, c in enumerate(cohorts)
    ]
    columns = [(LEFT + i * CELL_W + CELL_W // 2, f"+{i}") for i in range(longest)]
    description = (
        f"Cohorts by the month of their first exchange, {len(cohorts)} in all: how many of "
        "each were active in each month after it. The numbers are in the table below."
        if cohorts
        else "No member had a first exchange in this period."
    )
    return HeatMap(
        "Who keeps taking part, by the month they joined",
        description,
        cells,
        rows,
        columns,
        width=LEFT + max(longest, 1) * CELL_W + 4,
        height=TOP + max(len(cohorts), 1) * CELL_H + 4,
    )
