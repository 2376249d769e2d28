"""Webhooks: where each of the organisation's endpoints stands, and enabling a disabled one.

Only the organisation's brokers see this page, as only they (and the operator) may list
webhooks through the API: an endpoint's URL is the partner's configuration (it may carry a
token of theirs), and an auditor could do nothing here. Endpoints are registered and removed
through the API (docs/integrating.md), where the secret can be shown once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from api.web.access import OrgContext, OrgDep, WriterDep
from api.web.pages import render, see_other
from api.web.session import NotFound, Refused, read_form
from ledger.ports import wall_seconds
from projections.webhooks.settings import DISABLE_AFTER
from projections.webhooks.table import WebhookTable

router = APIRouter(prefix="/app/o/{org}", include_in_schema=False)
FormDep = Annotated[dict[str, str], Depends(read_form)]
WebhookId = Annotated[str, Path(max_length=64)]
DONE = {"enabled": "Enabled again: delivery resumes at the change where it stopped."}


def endpoints(request: Request, context: OrgContext) -> WebhookTable:
    """The endpoints' table, opened once per process (two first requests at once would
    both open it, harmlessly: its tables are made only if missing)."""
    table = getattr(request.app.state, "webhook_table", None)
    if not isinstance(table, WebhookTable):
        table = request.app.state.webhook_table = WebhookTable(context.view)
    return table


@router.get("/webhooks")
def webhooks_page(
    request: Request,
    context: OrgDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    if not context.visitor.may_write:
        raise Refused(
            "An organisation's webhooks are its own configuration: only its brokers see them."
        )
    table = endpoints(request, context)
    rows = [_shown(table, row, wall_seconds()) for row in table.of(context.org)]
    return render(
        request,
        "webhooks.html",
        context.visitor,
        context=context,
        rows=rows,
        notice=DONE.get(done or ""),
        disable_after=DISABLE_AFTER,
        nav="webhooks",
    )


@router.post("/webhooks/{webhook_id}/enable")
def enable(request: Request, context: WriterDep, webhook_id: WebhookId, form: FormDep) -> Response:
    if not endpoints(request, context).enable(context.org, webhook_id):
        raise NotFound("There is no such webhook: it may have been removed.")
    return see_other(f"/app/o/{context.org}/webhooks?done=enabled")


def _shown(table: WebhookTable, row: dict[str, Any], now: float) -> dict[str, Any]:
    last = table.last_delivered(row["id"])
    due = row["next_attempt_at"]
    return {
        "id": row["id"],
        "url": row["url"],
        "types": ", ".join(row["types"]) if row["types"] else "every change",
        "enabled": row["enabled"],
        "failures": row["failures"],
        "last_error": row["last_error"],
        "last_position": last["position"] if last else None,
        "last_at": _when(last["attempted_at"]) if last else None,
        "next_attempt": _when(due) if due > now else "as soon as there is a change to send",
    }


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
