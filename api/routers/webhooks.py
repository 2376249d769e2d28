"""Webhooks: an organisation's endpoints, each sent the organisation's changes in order."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status

from api.deps import LedgerDep, Manager, ReadModelsDep, may_read_organisation
from api.openapi import errors
from api.routers.organisations import Org
from api.schemas.changes import DeliveryList, WebhookCreate, WebhookCreated, WebhookList
from api.strict import StrictJSONRoute
from domain.errors import LedgerError
from ledger import Ledger, Principal
from projections.webhooks.sealing import Sealer, load_key
from projections.webhooks.signing import new_secret
from projections.webhooks.table import WebhookTable
from projections.webhooks.targets import resolve

router = APIRouter(prefix="/v1/organisations", tags=["webhooks"], route_class=StrictJSONRoute)
WebhookId = Annotated[str, Path(description="The webhook's id, as registered")]
_opening = threading.Lock()
_PUBLIC = ("id", "url", "types", "enabled", "cursor", "failures", "next_attempt_at", "last_error")


class UnknownWebhook(LedgerError):
    code = "not_found"


class Webhooks:
    """The endpoints' table and the key that seals their secrets, opened on first use."""

    def __init__(self, table: WebhookTable, sealer: Sealer) -> None:
        self.table, self.sealer = table, sealer


def get_webhooks(request: Request, read_models: ReadModelsDep) -> Webhooks:
    state = request.app.state
    with _opening:
        if getattr(state, "webhooks", None) is None:
            view = getattr(read_models, "view")  # noqa: B009 (not every ReadModels has one)
            state.webhooks = Webhooks(WebhookTable(view), Sealer(load_key()))
    webhooks: Webhooks = state.webhooks
    return webhooks


WebhooksDep = Annotated[Webhooks, Depends(get_webhooks)]


def _may_manage(caller: Principal, org: str, ledger: Ledger) -> None:
    """Asked of the ledger, not the views: an organisation just registered has an endpoint."""
    may_read_organisation(caller, org)
    ledger.get_organisation(org)  # UnknownOrganisation if there is none


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in _PUBLIC}


@router.post(
    "/{org}/webhooks",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses=errors(403, 404, 422),
)
def register_webhook(
    org: Org, body: WebhookCreate, caller: Manager, ledger: LedgerDep, webhooks: WebhooksDep
) -> dict[str, Any]:
    """Register an endpoint (its broker, admin). The `secret` is in this answer only."""
    _may_manage(caller, org, ledger)
    resolve(body.url)  # refused now if it points at a loopback, private or link-local address
    secret = new_secret()
    row = webhooks.table.add(
        org, body.url, body.types, lambda webhook_id: webhooks.sealer.seal(secret, webhook_id)
    )
    return {"id": row["id"], "url": row["url"], "types": row["types"], "secret": secret}


@router.get("/{org}/webhooks", response_model=WebhookList, responses=errors(403, 404))
def list_webhooks(
    org: Org, caller: Manager, ledger: LedgerDep, webhooks: WebhooksDep
) -> dict[str, Any]:
    """The organisation's endpoints and where each stands in the feed."""
    _may_manage(caller, org, ledger)
    return {"webhooks": [_public(row) for row in webhooks.table.of(org)]}


@router.delete(
    "/{org}/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(403, 404),
)
def delete_webhook(
    org: Org, webhook_id: WebhookId, caller: Manager, ledger: LedgerDep, webhooks: WebhooksDep
) -> Response:
    """Remove an endpoint, its sealed secret and its delivery log."""
    _may_manage(caller, org, ledger)
    if not webhooks.table.delete(org, webhook_id):
        raise UnknownWebhook(f"no webhook '{webhook_id}'")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{org}/webhooks/{webhook_id}/enable",
    response_model=DeliveryList,
    responses=errors(403, 404),
)
def enable_webhook(
    org: Org, webhook_id: WebhookId, caller: Manager, ledger: LedgerDep, webhooks: WebhooksDep
) -> dict[str, Any]:
    """Deliver again to an endpoint disabled after failures, from where it stopped."""
    _may_manage(caller, org, ledger)
    if not webhooks.table.enable(org, webhook_id):
        raise UnknownWebhook(f"no webhook '{webhook_id}'")
    return _deliveries(webhooks, org, webhook_id)


@router.get(
    "/{org}/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryList,
    responses=errors(403, 404),
)
def list_deliveries(
    org: Org, webhook_id: WebhookId, caller: Manager, ledger: LedgerDep, webhooks: WebhooksDep
) -> dict[str, Any]:
    """What was delivered, what failed, and when the next attempt is due."""
    _may_manage(caller, org, ledger)
    return _deliveries(webhooks, org, webhook_id)


def _deliveries(webhooks: Webhooks, org: str, webhook_id: str) -> dict[str, Any]:
    row = webhooks.table.get(org, webhook_id)
    if row is None:
        raise UnknownWebhook(f"no webhook '{webhook_id}'")
    return {"webhook": _public(row), "deliveries": webhooks.table.deliveries(webhook_id)}
