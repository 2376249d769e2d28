"""The webhooks page in a real browser: a broker finds a disabled endpoint and enables it
again, on a desktop and on a phone, with no serious accessibility problem either way."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.support import Site, created, make_org, serious_violations, sign_in
from tests.browser.test_accessibility import DESKTOP, PHONE

pytestmark = pytest.mark.timeout(60, func_only=True)
# A public address, so the registration is accepted; nothing is ever sent to it, since the
# organisation records no change after the endpoint is registered.
URL = "https://93.184.215.14/timebank/hooks"


def disabled_endpoint(site: Site, broker: str, org: str) -> str:
    """An endpoint registered through the API, then set as its twentieth failure in a row
    would leave it (hours of retries, written straight into the site's database)."""
    with site.api(broker) as api:
        hook = created(api, f"/v1/organisations/{org}/webhooks", {"url": URL})
    database = site.log.parent / "timebank.sqlite3"
    with sqlite3.connect(database, timeout=30) as conn:
        conn.execute(
            "UPDATE webhooks SET enabled = 0, failures = 20, last_error = 'HTTP 503' WHERE id = ?",
            (hook["id"],),
        )
    return str(hook["id"])


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def screen(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    size: ViewportSize = request.param
    context = browser.new_context(viewport=size)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_a_broker_enables_a_disabled_webhook_again(
    site: Site, screen: Page, axe_source: str
) -> None:
    org = make_org(site, ["ann"])
    disabled_endpoint(site, org.broker, org.id)
    sign_in(screen, site, org.broker)
    screen.get_by_role("link", name="Webhooks").click()
    card = screen.get_by_role("listitem").filter(has_text=URL)
    expect(card).to_contain_text("disabled")
    expect(card).to_contain_text("HTTP 503")
    assert serious_violations(screen, axe_source) == []
    width = screen.viewport_size["width"] if screen.viewport_size else 0
    assert screen.evaluate("document.documentElement.scrollWidth") <= width

    card.get_by_role("button", name="Enable again").click()
    expect(screen.get_by_role("status")).to_contain_text("Enabled again")
    expect(card).to_contain_text("delivering")
    expect(card.get_by_role("button")).to_have_count(0)
    assert serious_violations(screen, axe_source) == []
