"""Participation, the view for funders and the printable statement, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import Org, Site, created, make_org, months_ago, sign_in

pytestmark = pytest.mark.timeout(60, func_only=True)


def timebank(site: Site) -> Org:
    """ann and bob start two months ago; cy joins last month; ann then gives 30 min of her
    credits to the pot."""
    org = make_org(site, ["ann", "bob", "cy", "pot"])
    exchanges = [
        ("ann", "bob", months_ago(2)), ("bob", "ann", months_ago(2, 20)),
        ("ann", "cy", months_ago(1)), ("cy", "bob", months_ago(1, 20)),
    ]  # fmt: skip
    with site.api(org.broker) as api:
        for giver, receiver, day in exchanges:
            body = {"giver": org.account(giver), "receiver": org.account(receiver)}
            created(api, "/v1/exchanges", body | {"minutes": 90, "service_date": day})
        gift = {"from": org.account("ann"), "to": org.account("pot"), "minutes": 30}
        org.position = created(api, "/v1/gifts", gift)["position"]
    return org


def test_the_participation_page_shows_new_and_returning_members_and_the_cohorts(
    site: Site, page: Page
) -> None:
    org = timebank(site)
    sign_in(page, site, org.broker)
    page.get_by_role("link", name="Participation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Participation")
    expect(
        page.get_by_role("img", name="Who keeps taking part, by the month they joined")
    ).to_be_visible()
    cohorts = page.get_by_role("table", name="Each cohort")
    expect(cohorts.get_by_role("row")).to_have_count(3)  # a heading row and two cohorts
    expect(cohorts.get_by_role("row").nth(1)).to_contain_text("2, 2")
    page.get_by_role("link", name="The view for funders").click()
    expect(page.get_by_text("View for funders.")).to_be_visible()
    expect(cohorts.get_by_role("row").nth(1)).to_contain_text("hidden")


def test_a_printable_statement_prints_alone_and_downloads_as_a_pdf(site: Site, page: Page) -> None:
    org = timebank(site)
    sign_in(page, site, org.broker)
    page.goto(f"{site.base_url}/app/o/{org.id}/account?ref=ann&period=all")
    expect(page.locator(".statement")).to_contain_text("Gift")
    page.get_by_role("link", name="Printable statement").click()
    expect(page.locator("#opening")).to_have_text("0 min")
    expect(page.locator("#closing")).to_have_text("1 h")  # gave 3 h, got 1 h 30, gift 30 min
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("#closing")).to_be_visible()
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.get_by_role("link", name="download it as a PDF").click()
    path = download.value.path()
    assert path.read_bytes().startswith(b"%PDF")
