"""One router per resource, all of them listed here in the order the API documents them."""

from __future__ import annotations

from fastapi import APIRouter

from api.routers import (
    accounts,
    audit,
    changes,
    exchanges,
    gifts,
    operations,
    organisations,
    participation,
    summary,
    transparency,
    webhooks,
    witness,
)

ROUTERS: tuple[APIRouter, ...] = (
    organisations.router,
    organisations.keys,
    accounts.router,
    exchanges.router,
    gifts.router,
    summary.router,
    participation.router,
    audit.router,
    transparency.router,
    witness.router,
    changes.router,
    webhooks.router,
    operations.router,
)
