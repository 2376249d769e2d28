"""What a page may ask for: the signed-in visitor, and an organisation that visitor may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Path, Request

from api.deps import LedgerDep, ReadModelsDep, SettingsDep
from api.ratelimit import Limits
from api.web.session import (
    ROLES,
    NotFound,
    Refused,
    SignInRequired,
    TooManyRequests,
    Visitor,
    session_of,
)
from domain.rules import organisation_of
from ledger.ports import utc_today
from projections.queries import ReadModels
from projections.store import ViewStore


def current_visitor(request: Request, ledger: LedgerDep) -> Visitor:
    """Runs in a worker thread: the session, and the key behind it, are checked on every
    request, taking from the same rate limits as the API's."""
    limits: Limits = request.app.state.limits
    if (wait := limits.before_authentication(request)) is not None:
        raise TooManyRequests(wait)
    session = session_of(request)
    principal = ledger.session_principal(session.token) if session is not None else None
    if session is None or principal is None or principal.role not in ROLES:
        limits.failed_authentication(request)
        raise SignInRequired
    if (wait := limits.for_key(principal.key_id)) is not None:
        raise TooManyRequests(wait)
    visitor = Visitor(principal, session)
    request.state.visitor = visitor
    return visitor


VisitorDep = Annotated[Visitor, Depends(current_visitor)]


@dataclass(frozen=True)
class OrgContext:
    """An organisation's pages as one visitor sees them."""

    visitor: Visitor
    organisation: dict[str, Any]
    models: ReadModels
    view: ViewStore
    wait_seconds: float

    @property
    def org(self) -> str:
        return str(self.organisation["id"])

    def may_open(self, account_id: str) -> bool:
        """Whether a link to this account's page would open for the visitor."""
        own = organisation_of(account_id) == self.visitor.organisation
        return own or self.visitor.principal.role == "auditor"

    def today(self) -> date:
        """The read models' idea of today (tests may fix it), else today in UTC."""
        today = getattr(self.models, "today", None)
        found = today() if callable(today) else None
        return found if isinstance(found, date) else utc_today()

    def settle(self, position: int) -> None:
        """Wait until the read models show a write, so the next page shows it too."""
        self.models.wait_for(position, timeout=self.wait_seconds)


def organisation_pages(
    org: Annotated[str, Path(max_length=64)],
    visitor: VisitorDep,
    models: ReadModelsDep,
    settings: SettingsDep,
) -> OrgContext:
    if visitor.principal.role == "broker" and visitor.organisation != org:
        raise Refused(
            f"Your key belongs to {visitor.organisation}: it cannot open the pages of {org}."
        )
    organisation = models.organisation(org)
    if organisation is None:
        raise NotFound(f"There is no organisation '{org}'.")
    return OrgContext(visitor, organisation, models, models.view, settings.read_wait_seconds)


OrgDep = Annotated[OrgContext, Depends(organisation_pages)]


def organisation_writer(context: OrgDep) -> OrgContext:
    if not context.visitor.may_write:
        raise Refused("An auditor's key reads every organisation but records and confirms nothing.")
    return context


WriterDep = Annotated[OrgContext, Depends(organisation_writer)]
