"""Server-rendered pages for brokers and auditors under /app: Jinja2 templates, one stylesheet,
no scripts. They read the same read models as the API and write only through the ledger."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import (
    routes_accounts,
    routes_auth,
    routes_names,
    routes_overview,
    routes_pending,
    routes_record,
    routes_reports,
    routes_webhooks,
    routes_witnesses,
)
from api.web.pages import HERE, install_handlers


def install(app: FastAPI) -> None:
    """Add the pages, their stylesheet and their error pages to the app."""
    install_handlers(app)
    for module in (
        routes_auth,
        routes_overview,
        routes_reports,
        routes_accounts,
        routes_names,
        routes_pending,
        routes_record,
        routes_witnesses,
        routes_webhooks,
    ):
        app.include_router(module.router)
    app.mount("/app/static", StaticFiles(directory=HERE / "static"), name="web-static")
