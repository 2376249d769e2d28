"""Small counts of people hidden in reports that leave the organisation.

Every count of people below `min_count` reads null and is named in `suppressed`. Hiding a
cell is not enough when a visible total lets a reader subtract it back, so each report
names its *relations*: sets of cells tied by one linear equation (a total and its parts,
two cells that always hold the same number). While some relation has exactly one hidden
cell, the smallest visible cell of that relation is hidden too (ties by name). At the
end every relation has none or at least two hidden cells: no single equation gives
a hidden cell back. Suppression happens here, at the edge; the stored figures are exact.

The relations of a participation report, for each month m:
- active = new + returning;
- active = givers + receivers - gave_and_received (each active member gave, received or both);
- new = the size of the cohort of m = that cohort's count in m;
- returning = the sum of the listed cohorts' counts in m (cohorts before `from` are not
  listed, so this holds only from an organisation's first month; it is applied always).
A summary's counts of people (accounts, active, both ways, connections, active by month)
are not sums of one another (distinct counts), so only the first rule applies there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Row = dict[str, Any]
# The pages' view for funders, for an organisation that has not chosen its own min_count.
FUNDERS_MIN_COUNT = 5
Cells = dict[str, tuple[int, Callable[[], None]]]  # name -> (value, make it null)


def hide(cells: Cells, relations: Iterable[list[str]], min_count: int) -> list[str]:
    """Null every cell below `min_count`, then the cells the relations give away.

    A relation's hidden count only grows, so each relation steps in at most once (when it
    has exactly one): the work is linear in the sizes of the relations."""
    kept = [[name for name in relation if name in cells] for relation in relations]
    kept = [relation for relation in kept if len(relation) > 1]
    hidden_in = [0] * len(kept)
    member_of: dict[str, list[int]] = {}
    for index, relation in enumerate(kept):
        for name in relation:
            member_of.setdefault(name, []).append(index)
    hidden: set[str] = set()
    alone: list[int] = []  # relations with exactly one hidden cell

    def conceal(name: str) -> None:
        hidden.add(name)
        for index in member_of.get(name, []):
            hidden_in[index] += 1
            if hidden_in[index] == 1:
                alone.append(index)

    for name, (value, _) in sorted(cells.items()):
        if value < min_count:
            conceal(name)
    while alone:
        index = alone.pop()
        if hidden_in[index] == 1:
            shown = [name for name in kept[index] if name not in hidden]
            conceal(min(shown, key=lambda name: (cells[name][0], name)))
    for name in hidden:
        cells[name][1]()
    return sorted(hidden)


def for_funders(view: str | None, setting: int | None) -> int | None:
    """The min_count a page applies: in its view for funders (`view=funders`), the
    organisation's setting or FUNDERS_MIN_COUNT; elsewhere none."""
    if view != "funders":
        return None
    return setting or FUNDERS_MIN_COUNT


def _setter(row: Any, key: Any) -> Callable[[], None]:
    def null() -> None:
        row[key] = None

    return null


SUMMARY_PEOPLE = ("accounts", "active_accounts", "gave_and_received", "connections")


def summary(report: Row, min_count: int | None) -> Row:
    if min_count is None:
        return {**report, "suppressed": []}
    cells: Cells = {key: (report[key], _setter(report, key)) for key in SUMMARY_PEOPLE}
    for month in report["by_month"]:
        name = f"by_month[{month['month']}].active_accounts"
        cells[name] = (month["active_accounts"], _setter(month, "active_accounts"))
    suppressed = hide(cells, [], min_count)
    return {**report, "suppressed": suppressed}


MONTH_PEOPLE = ("active", "new", "returning", "givers", "receivers", "gave_and_received")


def participation(report: Row, min_count: int | None) -> Row:
    if min_count is None:
        return {**report, "suppressed": []}
    cells: Cells = {}
    relations: list[list[str]] = []
    for month in report["months"]:
        m = f"months[{month['month']}]"
        for key in MONTH_PEOPLE:
            cells[f"{m}.{key}"] = (month[key], _setter(month, key))
        relations.append([f"{m}.active", f"{m}.new", f"{m}.returning"])
        relations.append(
            [f"{m}.{k}" for k in ("active", "givers", "receivers", "gave_and_received")]
        )
    returning: dict[str, list[str]] = {}
    for cohort in report["cohorts"]:
        c, first = f"cohorts[{cohort['cohort']}]", cohort["cohort"]
        cells[f"{c}.size"] = (cohort["size"], _setter(cohort, "size"))
        months = [m["month"] for m in report["months"]]
        for index, count in enumerate(cohort["active"]):
            month = months[months.index(first) + index]
            cells[f"{c}.active[{month}]"] = (count, _setter(cohort["active"], index))
            if month != first:
                returning.setdefault(month, []).append(f"{c}.active[{month}]")
        relations.append([f"months[{first}].new", f"{c}.size"])
        relations.append([f"{c}.size", f"{c}.active[{first}]"])
    relations += [[f"months[{m}].returning", *parts] for m, parts in returning.items()]
    suppressed = hide(cells, relations, min_count)
    return {**report, "suppressed": suppressed}
