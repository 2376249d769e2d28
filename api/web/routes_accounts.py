"""Accounts: the searchable, sortable list, its CSV, and one account's page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from api.deps import LedgerDep
from api.web import tables
from api.web.access import OrgContext, OrgDep
from api.web.pages import render
from api.web.period import presets
from api.web.routes_names import may_see_names, names_for
from api.web.routes_overview import PeriodDep
from api.web.session import NotFound
from projections import account_reads, broker_reads
from projections.broker_reads import SHOW, SORT_KEYS, AccountQuery

router = APIRouter(prefix="/app/o/{org}", include_in_schema=False)
Text = Annotated[str, Query(max_length=200)]
PAGE, STATEMENT_PAGE, PARTNERS = 50, 25, 50
EXPORT_PAGE = 5000
SORT_LABELS = {
    "ref": "Ref",
    "balance": "Balance",
    "given": "Given",
    "received": "Received",
    "last_activity": "Last activity",
}
SHOW_LABELS = {
    "all": "All accounts",
    "over-limit": "Over their limit",
    "only-gives": "Only give",
    "only-receives": "Only receive",
    "inactive": "Never active",
}


@router.get("/accounts")
def accounts(
    request: Request,
    context: OrgDep,
    ledger: LedgerDep,
    q: Text = "",
    sort: Text = "ref",
    order: Text = "asc",
    show: Text = "all",
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    sort = sort if sort in SORT_KEYS else "ref"
    show = show if show in SHOW else "all"
    search = AccountQuery(context.org, q.strip(), sort, order == "desc", show, after, PAGE)
    rows, next_ = broker_reads.accounts(context.view, search)
    return render(
        request,
        "accounts.html",
        context.visitor,
        context=context,
        rows=rows,
        next=next_,
        search=search,
        sort_labels=SORT_LABELS,
        show_labels=SHOW_LABELS,
        names=names_for(ledger, context, (row["id"] for row in rows)),
        names_shown=may_see_names(context),
        nav="accounts",
    )


@router.get("/accounts.csv")
def accounts_csv(context: OrgDep) -> Response:
    return StreamingResponse(
        tables.accounts_csv(_account_pages(context)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{context.org}-accounts.csv"'},
    )


def _account_pages(context: OrgContext) -> Iterator[list[tuple[Any, ...]]]:
    """Page by page: a download of many accounts never holds them all at once."""
    after: str | None = None
    while True:
        rows, after = account_reads.account_table(context.view, context.org, after, EXPORT_PAGE)
        yield rows
        if after is None:
            return


@router.get("/account")
def account(
    request: Request,
    context: OrgDep,
    ledger: LedgerDep,
    period: PeriodDep,
    ref: Annotated[str, Query(max_length=64)],
    before: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    account_id = f"{context.org}:{ref}"
    found = context.models.account(account_id)
    if found is None:
        raise NotFound(f"{context.org} has no account '{ref}'.")
    entries, next_ = broker_reads.latest_statement(context.view, account_id, before, STATEMENT_PAGE)
    partners = broker_reads.partners(context.view, account_id, period.start, period.end, PARTNERS)
    shown = [
        account_id,
        *(e["counterparty"] for e in entries),
        *(p["counterparty"] for p in partners),
    ]
    return render(
        request,
        "account.html",
        context.visitor,
        context=context,
        account=found,
        period=period,
        presets=presets(context.today()),
        reciprocity=context.models.reciprocity(account_id, period.start, period.end),
        partners=partners,
        entries=entries,
        names=names_for(ledger, context, shown),
        next=next_,
        nav="accounts",
    )
