"""A broker's and an auditor's work through the pages, in a real browser."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import Org, Site, auditor_key, created, make_org, sign_in

pytestmark = pytest.mark.timeout(60, func_only=True)


def balance_shown(page: Page, site: Site, org: Org, ref: str) -> str:
    page.goto(f"{site.base_url}/app/o/{org.id}/account?ref={ref}")
    return page.locator("#balance").inner_text()


def balance_in_api(site: Site, org: Org, ref: str) -> int:
    with site.api(org.broker) as api:
        answer = api.get(f"/v1/accounts/{org.account(ref)}", params=org.fresh())
        return int(answer.json()["balance"])


def fill_exchange(page: Page, giver: str, receiver: str, hours: str, minutes: str = "") -> None:
    page.get_by_label("Who gave the time (earns)").fill(giver)
    page.get_by_label("Who received it (spends)").fill(receiver)
    page.get_by_label("Hours", exact=True).fill(hours)
    page.get_by_label("Minutes", exact=True).fill(minutes)


def test_a_visitor_signs_in_lands_where_they_were_going_and_signs_out(
    site: Site, page: Page
) -> None:
    org = make_org(site, ["ann"])
    page.goto(f"{site.base_url}/app/o/{org.id}/accounts")
    expect(page).to_have_url(re.compile(r"/app/sign-in\?next="))
    page.get_by_label("Your key").fill(org.broker)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site.base_url}/app/o/{org.id}/accounts")
    expect(page.get_by_role("link", name="ann", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto(f"{site.base_url}/app/o/{org.id}")
    expect(page).to_have_url(re.compile(r"/app/sign-in"))


def test_a_wrong_key_is_refused_next_to_the_key_field(site: Site, page: Page) -> None:
    sign_in(page, site, "tbk_0000_not-a-real-key")
    expect(page.locator("#key-error")).to_contain_text("not known")
    expect(page.get_by_label("Your key")).to_have_attribute("aria-invalid", "true")


def test_recording_an_exchange_moves_both_balances(site: Site, page: Page) -> None:
    org = make_org(site, ["ann", "bob"])
    sign_in(page, site, org.broker)
    assert balance_shown(page, site, org, "ann") == "0 min"
    page.get_by_role("link", name="Record an exchange").click()
    fill_exchange(page, "ann", "bob", "1", "30")
    page.get_by_label("Category (optional)").fill("gardening")
    page.get_by_role("button", name="Record the exchange").click()
    expect(page.get_by_role("status")).to_contain_text("ann gave 1 h 30 min to bob")
    assert balance_shown(page, site, org, "ann") == "1 h 30 min"
    assert balance_shown(page, site, org, "bob") == "\u22121 h 30 min"
    assert balance_in_api(site, org, "bob") == -90


def test_a_refused_exchange_says_why_next_to_the_field_and_records_nothing(
    site: Site, page: Page
) -> None:
    org = make_org(site, ["ann", "bob"])
    sign_in(page, site, org.broker)
    page.goto(f"{site.base_url}/app/o/{org.id}/record")
    fill_exchange(page, "ann", "bob", "11")
    page.get_by_role("button", name="Record the exchange").click()
    error = page.locator("#receiver-error")
    expect(error).to_contain_text("bob has too little time")
    expect(error).to_contain_text("it may not go below \u221210 h")
    expect(page.get_by_label("Who received it (spends)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was recorded")
    fill_exchange(page, "ann", "nobody", "1")
    page.get_by_role("button", name="Record the exchange").click()
    expect(page.locator("#receiver-error")).to_contain_text("There is no account nobody")
    assert balance_in_api(site, org, "bob") == 0


def test_a_group_session_records_one_exchange_per_receiver(site: Site, page: Page) -> None:
    org = make_org(site, ["lead", "ann", "bob", "cy"])
    sign_in(page, site, org.broker)
    page.get_by_role("link", name="Group session").click()
    page.get_by_label("Who gave the session (earns)").fill("lead")
    page.get_by_label("Who took part (each spends)").fill("ann\nbob, cy")
    page.get_by_label("Hours", exact=True).fill("2")
    page.get_by_role("button", name="Record the session").click()
    expect(page.get_by_role("status")).to_contain_text("3 exchanges given by lead")
    assert balance_shown(page, site, org, "lead") == "6 h"
    assert [balance_in_api(site, org, ref) for ref in ("ann", "bob", "cy")] == [-120] * 3


def test_a_broker_confirms_an_exchange_another_organisation_recorded(
    site: Site, page: Page
) -> None:
    ours, theirs = make_org(site, ["zed"]), make_org(site, ["ann"])
    with site.api(theirs.broker) as api:
        body = {"giver": theirs.account("ann"), "receiver": ours.account("zed"), "minutes": 120}
        exchange = created(api, "/v1/exchanges", body)
    assert exchange["status"] == "pending"
    sign_in(page, site, ours.broker)
    page.get_by_role("link", name="Pending").click()
    card = page.get_by_role("listitem").filter(has_text=f"{theirs.account('ann')} gave to")
    expect(card).to_contain_text("2 h")
    card.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status").first).to_contain_text("Confirmed")
    expect(page.get_by_text("Nothing is waiting")).to_be_visible()
    assert balance_shown(page, site, ours, "zed") == "\u22122 h"
    with site.api(ours.broker) as api:
        assert api.get(f"/v1/exchanges/{exchange['id']}").json()["status"] == "completed"


def test_accounts_are_found_by_ref_prefix_and_sorted(site: Site, page: Page) -> None:
    org = make_org(site, ["m-001", "m-002", "m-010", "x-001"])
    with site.api(org.broker) as api:
        body = {"giver": org.account("m-002"), "receiver": org.account("x-001"), "minutes": 45}
        created(api, "/v1/exchanges", body)
    sign_in(page, site, org.broker)
    page.goto(f"{site.base_url}/app/o/{org.id}/accounts")
    page.get_by_label("Ref starts with").fill("M-00")
    page.get_by_role("button", name="Find", exact=True).click()
    refs = page.locator("table.accounts tbody th a")
    expect(refs).to_have_text(["m-001", "m-002"])
    page.get_by_label("Ref starts with").fill("")
    page.get_by_label("Sort by").select_option("balance")
    page.get_by_label("Order").select_option("desc")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(refs).to_have_text(["m-002", "m-001", "m-010", "x-001"])
    expect(page.locator("tbody tr").first).to_contain_text("Only gives")
    expect(page.locator("tbody tr").last).to_contain_text("Only receives")


def download(page: Page, link: str) -> list[list[str]]:
    with page.expect_download() as event:
        page.get_by_role("link", name=link).first.click()
    text = Path(event.value.path()).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_downloads_carry_the_apis_figures(site: Site, page: Page) -> None:
    ours, theirs = make_org(site, ["ann", "bob", "cy"]), make_org(site, ["dee"])
    with site.api(ours.broker) as api:
        for giver, receiver, minutes in (("ann", "bob", 60), ("bob", "cy", 45), ("ann", "cy", 30)):
            body = {"giver": ours.account(giver), "receiver": ours.account(receiver)}
            created(api, "/v1/exchanges", body | {"minutes": minutes, "category": "lifts"})
        created(
            api,
            "/v1/exchanges",
            {"giver": ours.account("cy"), "receiver": theirs.account("dee"), "minutes": 20},
        )
    sign_in(page, site, ours.broker)
    report = download(page, "This period's report (CSV)")
    figures = {(row[0], row[1], row[2]): row[3] for row in report[1:]}
    start, end = figures["period", "from", "date"], figures["period", "to", "date"]
    with site.api(ours.broker) as api:
        summary: dict[str, Any] = api.get(
            f"/v1/organisations/{ours.id}/summary", params={"from": start, "to": end}
        ).json()
        for name in ("accounts", "active_accounts", "gave_and_received", "exchanges", "minutes"):
            assert figures["total", "all", name] == str(summary[name]), name
        assert summary["minutes"] == 135
        assert figures["category", "lifts", "minutes"] == str(summary["by_category"]["lifts"])
        accounts = download(page, "Every account with its balance (CSV)")
        header = accounts[0]
        assert len(accounts) == 4
        for row in map(dict, (zip(header, line, strict=True) for line in accounts[1:])):
            answer = api.get(f"/v1/accounts/{row['account']}").json()
            for name in ("balance", "given", "received"):
                assert row[name] == str(answer[name]), (row["account"], name)


@pytest.mark.parametrize("path", ["", "/accounts", "/account?ref=dee", "/pending", "/record"])
def test_another_organisations_pages_are_refused(site: Site, page: Page, path: str) -> None:
    ours, theirs = make_org(site, ["ann"]), make_org(site, ["dee"])
    sign_in(page, site, ours.broker)
    response = page.goto(f"{site.base_url}/app/o/{theirs.id}{path}")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
    # The ref as a word: organisation ids are random hex, and one may hold "dee" by chance.
    expect(page.get_by_text(re.compile(r"\bdee\b"))).to_have_count(0)


def test_an_auditor_reads_every_organisation_and_changes_nothing(site: Site, page: Page) -> None:
    org, partner = make_org(site, ["ann"]), make_org(site, ["dee"])
    with site.api(partner.broker) as api:
        body = {"giver": partner.account("dee"), "receiver": org.account("ann"), "minutes": 30}
        created(api, "/v1/exchanges", body)
    sign_in(page, site, auditor_key(site))
    expect(page).to_have_url(f"{site.base_url}/app/organisations")
    page.get_by_role("link", name=f"Timebank {org.id[4:]}").click()
    expect(page.get_by_text("read only")).to_be_visible()
    expect(page.get_by_role("link", name="Record an exchange")).to_have_count(0)
    page.get_by_role("link", name="Pending").click()
    heading = f"Waiting for Timebank {org.id[4:]} to confirm"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("listitem").filter(has_text="30 min")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm")).to_have_count(0)
    response = page.goto(f"{site.base_url}/app/o/{org.id}/record")
    assert response is not None
    assert response.status == 403


def test_the_pages_can_be_used_from_the_keyboard(site: Site, page: Page) -> None:
    org = make_org(site, ["ann"])
    sign_in(page, site, org.broker)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto(f"{site.base_url}/app/o/{org.id}/record")
    page.get_by_label("Who gave the time (earns)").focus()
    for text in ("ann", "\t", "nobody", "\t", "1"):
        page.keyboard.type(text) if text != "\t" else page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#receiver-error")).to_contain_text("There is no account nobody")


def test_a_broker_rejects_an_exchange_with_a_reason(site: Site, page: Page) -> None:
    ours, theirs = make_org(site, ["zed"]), make_org(site, ["ann"])
    with site.api(theirs.broker) as api:
        body = {"giver": theirs.account("ann"), "receiver": ours.account("zed"), "minutes": 15}
        exchange = created(api, "/v1/exchanges", body)
    sign_in(page, site, ours.broker)
    page.goto(f"{site.base_url}/app/o/{ours.id}/pending")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why")
    page.get_by_label("Reason for rejecting").fill("Zed was away that week")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status").first).to_contain_text("Rejected")
    with site.api(theirs.broker) as api:
        answer = api.get(f"/v1/exchanges/{exchange['id']}").json()
    assert answer["status"] == "rejected"
    assert balance_in_api(site, ours, "zed") == 0
