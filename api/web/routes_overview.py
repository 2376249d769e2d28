"""An organisation's overview for a period, and the period's report as CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from api import suppression
from api.web.access import OrgDep
from api.web.charts import bar_chart, months_between
from api.web.pages import render
from api.web.period import Period, presets
from api.web.tables import csv_text, report_rows

router = APIRouter(prefix="/app/o/{org}", include_in_schema=False)
Row = dict[str, Any]
PENDING_SHOWN = 99


def period_of(
    context: OrgDep,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    period: Annotated[str | None, Query(max_length=10)] = None,
) -> Period:
    return Period.parse(start, end, period == "all", context.today())


PeriodDep = Annotated[Period, Depends(period_of)]


@router.get("")
def overview(
    request: Request,
    context: OrgDep,
    period: PeriodDep,
    view: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """`view=funders`: small counts hidden, as the organisation's setting says."""
    summary = context.models.summary(context.org, period.start, period.end)
    min_count = suppression.for_funders(view, context.models.report_min_count(context.org))
    if min_count is not None:
        summary = suppression.summary(summary, min_count)
    months = _months(summary["by_month"])
    pending, more = context.models.pending(context.org, None, PENDING_SHOWN)
    return render(
        request,
        "overview.html",
        context.visitor,
        context=context,
        period=period,
        presets=presets(context.today()),
        summary=summary,
        months=months,
        hours_chart=bar_chart(
            "Hours exchanged by month", "hours", [(m["month"], m["hours"]) for m in months]
        ),
        active_chart=bar_chart(
            "Active members by month",
            "members",
            [(m["month"], m["active_accounts"]) for m in months],
        ),
        categories=_categories(summary["by_category"], summary["minutes"]),
        pending=len(pending),
        pending_more=more is not None,
        funders=view == "funders",
        min_count=min_count or context.models.report_min_count(context.org),
        nav="overview",
    )


@router.get("/report.csv")
def report_csv(
    context: OrgDep,
    period: PeriodDep,
    view: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """The overview's figures as the page showed them: from the view for funders
    (`view=funders`), small counts hidden as there; otherwise the organisation's min_count
    setting, if it has one, applies (the report may leave the organisation)."""
    summary = context.models.summary(context.org, period.start, period.end)
    setting = context.models.report_min_count(context.org)
    summary = suppression.summary(summary, suppression.for_funders(view, setting) or setting)
    name = f"{context.org}-report-{period.label.replace(' ', '-')}.csv"
    return StreamingResponse(
        csv_text(report_rows(summary, period)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _months(by_month: list[Row]) -> list[Row]:
    """Every month from the first to the last with activity, quiet ones as zeros."""
    if not by_month:
        return []
    found = {m["month"]: m for m in by_month}
    empty = {"exchanges": 0, "minutes": 0, "active_accounts": 0}
    rows = [
        {"month": month, **found.get(month, empty)}
        for month in months_between(by_month[0]["month"], by_month[-1]["month"])
    ]
    return [{**row, "hours": round(row["minutes"] / 60, 1)} for row in rows]


def _categories(by_category: dict[str, int], total: int) -> list[Row]:
    """Largest first, each with its share of the period's minutes and a bar length."""
    ranked = sorted(by_category.items(), key=lambda item: (-item[1], item[0]))
    top = ranked[0][1] if ranked else 1
    return [
        {
            "name": name,
            "minutes": minutes,
            "share": _share(minutes, total),
            "bar": round(100 * minutes / top, 1) if top else 0,
        }
        for name, minutes in ranked
    ]


def _share(part: int, whole: int) -> str:
    """A percentage; a small but real share reads "<1%", never "0%"."""
    if not whole:
        return "0%"
    share = round(100 * part / whole)
    return "<1%" if share == 0 and part > 0 else f"{share}%"
