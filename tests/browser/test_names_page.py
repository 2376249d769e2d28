"""Display names in a real browser: a broker finds an account by name and opens it, with no
serious accessibility problem on the way; the name never appears in an address."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.support import Site, make_org, serious_violations, sign_in
from tests.browser.test_accessibility import DESKTOP

pytestmark = pytest.mark.timeout(60, func_only=True)


def test_a_broker_finds_an_account_by_name(site: Site, browser: Browser, axe_source: str) -> None:
    org = make_org(site, ["m-01", "m-02"])
    with site.api(org.broker) as api:
        for ref, name in (("m-01", "Annabel Quince"), ("m-02", "Robert Marsh")):
            answer = api.put(
                f"/v1/accounts/{org.account(ref)}/profile", json={"display_name": name}
            )
            assert answer.status_code == 200, answer.text
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, site, org.broker)
        page.goto(f"{site.base_url}/app/o/{org.id}/accounts")
        expect(page.get_by_role("table")).to_contain_text("Annabel Quince")
        assert serious_violations(page, axe_source) == []

        page.get_by_label("Name contains").fill("quince")
        page.get_by_role("button", name="Find by name").click()
        found = page.get_by_role("table")
        expect(found).to_contain_text("Annabel Quince")
        expect(found).not_to_contain_text("Robert Marsh")
        assert "quince" not in page.url.lower()
        assert serious_violations(page, axe_source) == []

        found.get_by_role("link", name="m-01").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("m-01")
        expect(page.get_by_text("Known as")).to_contain_text("Annabel Quince")
        assert serious_violations(page, axe_source) == []
    finally:
        context.close()
