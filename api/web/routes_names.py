"""Display names on the broker pages: shown to the organisation's own brokers only (an
auditor sees refs), and a search by name that is a POST, so a name typed or found never
reaches a URL, the browser's history or an access log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import LedgerDep
from api.web.access import OrgContext, OrgDep
from api.web.pages import render
from api.web.session import Refused, read_form
from domain.rules import DISPLAY_NAME_MAX, organisation_of
from ledger import Ledger

router = APIRouter(prefix="/app/o/{org}", include_in_schema=False)
FormDep = Annotated[dict[str, str], Depends(read_form)]
FOUND_MAX = 50


def may_see_names(context: OrgContext) -> bool:
    """Names are for the brokers who know the people: the organisation's own."""
    visitor = context.visitor
    return visitor.principal.role == "broker" and visitor.organisation == context.org


def names_for(ledger: Ledger, context: OrgContext, account_ids: Iterable[str]) -> dict[str, str]:
    """The display names of those of these accounts that are the organisation's own, if the
    visitor may see them; else none."""
    if not may_see_names(context):
        return {}
    return ledger.display_names(
        sorted({a for a in account_ids if organisation_of(a) == context.org})
    )


def name_searcher(context: OrgDep) -> OrgContext:
    if not may_see_names(context):
        raise Refused("Only the organisation's own brokers see names and may search by them.")
    return context


@router.post("/accounts/by-name")
def find_by_name(
    request: Request,
    context: Annotated[OrgContext, Depends(name_searcher)],
    fields: FormDep,
    ledger: LedgerDep,
) -> Response:
    wanted = fields.get("name", "").strip()[:DISPLAY_NAME_MAX]
    ids = ledger.find_by_display_name(context.org, wanted, FOUND_MAX + 1)
    found: list[dict[str, Any]] = [
        account for account in map(context.models.account, ids[:FOUND_MAX]) if account is not None
    ]
    return render(
        request,
        "accounts_by_name.html",
        context.visitor,
        context=context,
        wanted=wanted,
        found=found,
        more=len(ids) > FOUND_MAX,
        names=ledger.display_names(ids[:FOUND_MAX]),
        name_max=DISPLAY_NAME_MAX,
        nav="accounts",
    )
