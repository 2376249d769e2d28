"""Exchanges waiting for this organisation's word: confirm or reject each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from api.deps import LedgerDep
from api.web.access import OrgContext, OrgDep, WriterDep
from api.web.pages import render, see_other
from api.web.refusals import sentence
from api.web.session import read_form
from domain.errors import LedgerError

router = APIRouter(prefix="/app/o/{org}", include_in_schema=False)
FormDep = Annotated[dict[str, str], Depends(read_form)]
ExchangeId = Annotated[str, Path(max_length=64)]
PAGE = 25
REASON_MAX = 500
DONE = {
    "confirmed": "Confirmed: the balances have moved.",
    "rejected": "Rejected: no balance moved, and the other organisation can see your reason.",
}
WHY = {
    "not_pending": "It is no longer waiting (someone may have dealt with it already):",
    "credit_limit_exceeded": "It cannot be confirmed now:",
    "max_balance_exceeded": "It cannot be confirmed now:",
    "account_closed": "It cannot be confirmed now:",
}


@router.get("/pending")
def pending_page(
    request: Request,
    context: OrgDep,
    after: Annotated[str | None, Query(max_length=20)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _page(request, context, after, notice=DONE.get(done or ""))


@router.post("/pending/{exchange_id}/confirm")
def confirm(
    request: Request, context: WriterDep, exchange_id: ExchangeId, form: FormDep, ledger: LedgerDep
) -> Response:
    try:
        record = ledger.confirm_exchange(exchange_id, context.org)
    except LedgerError as error:
        return _page(request, context, form.get("after"), problem=(exchange_id, _why(error)))
    context.settle(record.position)
    return see_other(f"/app/o/{context.org}/pending?done=confirmed")


@router.post("/pending/{exchange_id}/reject")
def reject(
    request: Request, context: WriterDep, exchange_id: ExchangeId, form: FormDep, ledger: LedgerDep
) -> Response:
    reason = form.get("reason", "").strip()
    if not reason or len(reason) > REASON_MAX:
        why = f"Say why in a few words (at most {REASON_MAX} characters): they see it."
        return _page(request, context, form.get("after"), problem=(exchange_id, why))
    try:
        record = ledger.reject_exchange(exchange_id, context.org, reason)
    except LedgerError as error:
        return _page(request, context, form.get("after"), problem=(exchange_id, _why(error)))
    context.settle(record.position)
    return see_other(f"/app/o/{context.org}/pending?done=rejected")


def _page(
    request: Request,
    context: OrgContext,
    after: str | None,
    notice: str | None = None,
    problem: tuple[str, str] | None = None,
) -> Response:
    rows, next_ = context.models.pending(context.org, after or None, PAGE)
    return render(
        request,
        "pending.html",
        context.visitor,
        409 if problem else 200,
        context=context,
        rows=rows,
        next=next_,
        after=after or "",
        notice=notice,
        problem=problem,
        nav="pending",
    )


def _why(error: LedgerError) -> str:
    lead = WHY.get(error.code, "It could not be done:")
    return f"{lead} {sentence(error.detail)}"
