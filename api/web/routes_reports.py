"""Participation over time (with a view for funders), and one member's printable statement."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api import suppression
from api.web.access import OrgContext, OrgDep
from api.web.charts import bar_chart
from api.web.heatmap import cohort_heat_map
from api.web.pages import render, shown
from api.web.period import presets
from api.web.routes_overview import PeriodDep
from api.web.session import NotFound
from api.web.statement_pdf import StatementHeading, statement_pdf
from projections.statement_reads import period_statement

router = APIRouter(prefix="/app/o/{org}", include_in_schema=False)
Row = dict[str, Any]
Ref = Annotated[str, Query(max_length=64)]
MAX_MONTHS = 240


@router.get("/participation")
def participation(
    request: Request,
    context: OrgDep,
    period: PeriodDep,
    view: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    report = context.models.participation(context.org, period.start, period.end)
    report["months"] = report["months"][-MAX_MONTHS:]
    min_count = suppression.for_funders(view, context.models.report_min_count(context.org))
    report = suppression.participation(report, min_count)
    months = report["months"]
    return render(
        request,
        "participation.html",
        context.visitor,
        context=context,
        period=period,
        presets=presets(context.today()),
        report=report,
        min_count=min_count,
        funders=view == "funders",
        new_chart=_chart("New members by month", "members", months, "new"),
        returning_chart=_chart("Returning members by month", "members", months, "returning"),
        heat_map=cohort_heat_map(report["cohorts"]),
        nav="participation",
    )


def _chart(title: str, unit: str, months: list[Row], key: str) -> Any:
    return bar_chart(title, unit, [(m["month"], m[key]) for m in months])


def _statement_of(context: OrgContext, period: Any, ref: str) -> tuple[Row, Any]:
    account = context.models.account(f"{context.org}:{ref}")
    if account is None:
        raise NotFound(f"{context.org} has no account '{ref}'.")
    found = period_statement(context.view, account["id"], period.start, period.end)
    return account, found


@router.get("/statement")
def printable_statement(request: Request, context: OrgDep, period: PeriodDep, ref: Ref) -> Response:
    account, statement = _statement_of(context, period, ref)
    return render(
        request,
        "statement.html",
        context.visitor,
        context=context,
        period=period,
        presets=presets(context.today()),
        account=account,
        statement=statement,
        nav="accounts",
    )


@router.get("/statement.pdf")
def statement_download(context: OrgDep, period: PeriodDep, ref: Ref) -> Response:
    account, statement = _statement_of(context, period, ref)
    heading = StatementHeading(
        context.organisation["name"], account["ref"], period.label, context.today()
    )
    names = [shown(entry["counterparty"], context.org) for entry in statement.entries]
    name = f"{context.org}-{account['ref']}-statement-{period.label.replace(' ', '-')}.pdf"
    return Response(
        statement_pdf(heading, statement, names),
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
