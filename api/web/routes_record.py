"""Recording time: one exchange, or a group session (one giver, many receivers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import LedgerDep
from api.web import forms, refusals
from api.web.access import OrgContext, WriterDep
from api.web.forms import Form
from api.web.pages import query, render, see_other
from api.web.session import read_form
from domain.errors import LedgerError
from domain.rules import is_account_id, organisation_of
from ledger.ports import new_uuid

router = APIRouter(prefix="/app/o/{org}", include_in_schema=False)
FormDep = Annotated[dict[str, str], Depends(read_form)]
Done = Annotated[str | None, Query(max_length=64)]
FORM_ID_MAX = 255


@router.get("/record")
def record_page(request: Request, context: WriterDep, done: Done = None) -> Response:
    recorded = context.models.exchange(done) if done else None
    if recorded is not None and context.org not in _orgs(recorded):
        recorded = None
    return _form_page(request, context, "record.html", Form({}), recorded=recorded)


@router.post("/record")
def record(request: Request, context: WriterDep, fields: FormDep, ledger: LedgerDep) -> Response:
    form = Form(fields)
    wanted = forms.exchange(form, context.org, context.today())
    if wanted is not None:
        try:
            record = ledger.record_exchange(
                context.org, wanted, _form_id(form), key_id=context.visitor.principal.key_id
            )
        except LedgerError as error:
            refusals.place(form, error, [wanted], context.org, group=False)
        else:
            context.settle(record.position)
            return see_other(f"/app/o/{context.org}/record?done={record.id}")
    return _form_page(request, context, "record.html", form, status_code=422)


@router.get("/session")
def session_page(
    request: Request,
    context: WriterDep,
    recorded: Annotated[int | None, Query(ge=1, le=1000)] = None,
    giver: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    shown = giver if giver and is_account_id(giver) else None
    done = {"count": recorded, "giver": shown} if recorded else None
    return _form_page(request, context, "session.html", Form({}), done=done)


@router.post("/session")
def group_session(
    request: Request, context: WriterDep, fields: FormDep, ledger: LedgerDep
) -> Response:
    form = Form(fields)
    wanted = forms.group_session(form, context.org, context.today())
    if wanted is not None:
        try:
            batch = ledger.record_batch(
                context.org, wanted, _form_id(form), key_id=context.visitor.principal.key_id
            )
        except LedgerError as error:
            refusals.place(form, error, wanted, context.org, group=True)
        else:
            context.settle(batch.position)
            done = query(recorded=len(wanted), giver=wanted[0].giver)
            return see_other(f"/app/o/{context.org}/session{done}")
    return _form_page(request, context, "session.html", form, status_code=422)


def _form_page(
    request: Request,
    context: OrgContext,
    template: str,
    form: Form,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """A fresh form id each time the form is shown: sending it twice records it once."""
    form.values.setdefault("form_id", str(new_uuid()))
    return render(
        request,
        template,
        context.visitor,
        status_code,
        context=context,
        form=form,
        today=context.today().isoformat(),
        nav=template.removesuffix(".html"),
        **extra,
    )


def _form_id(form: Form) -> str | None:
    """The form's own id as the ledger's idempotency key (a double click records once)."""
    text = form.text("form_id")
    return text if 0 < len(text) <= FORM_ID_MAX else None


def _orgs(exchange: dict[str, object]) -> set[str]:
    return {organisation_of(str(exchange[party])) for party in ("giver", "receiver")}
