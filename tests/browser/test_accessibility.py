"""axe-core, run inside each page, finds no serious or critical accessibility problem
(WCAG 2.0 to 2.2, A and AA, and axe's best practices), on a desktop and on a phone."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from tests.browser.support import Showcase, Site, serious_violations, showcase, sign_in

pytestmark = pytest.mark.timeout(60, func_only=True)
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
Visit = Callable[[Page, Site, Showcase], None]


def opens(path: str) -> Visit:
    def go(page: Page, site: Site, shown: Showcase) -> None:
        page.goto(f"{site.base_url}{path.format(org=shown.org.id, partner=shown.partner.id)}")

    return go


def refused_key(page: Page, site: Site, shown: Showcase) -> None:
    sign_in(page, site, "tbk_0000_wrong")


def sent_empty(path: str) -> Visit:
    def go(page: Page, site: Site, shown: Showcase) -> None:
        opens(path)(page, site, shown)
        page.get_by_role("button", name="Record").click()
        page.get_by_role("alert").wait_for()

    return go


# name -> (who is signed in, how the page is reached, also checked on a phone)
PAGES: dict[str, tuple[str, Visit, bool]] = {
    "sign-in": ("nobody", opens("/app/sign-in"), True),
    "sign-in, wrong key": ("nobody", refused_key, False),
    "overview": ("broker", opens("/app/o/{org}"), True),
    "overview, all time": ("broker", opens("/app/o/{org}?period=all"), False),
    "accounts": ("broker", opens("/app/o/{org}/accounts?sort=balance&order=desc"), True),
    "accounts, none found": ("broker", opens("/app/o/{org}/accounts?q=zzz"), False),
    "account over its limit": ("broker", opens("/app/o/{org}/account?ref=m-08"), True),
    "account": ("broker", opens("/app/o/{org}/account?ref=m-01"), False),
    "pending": ("broker", opens("/app/o/{org}/pending"), True),
    "participation": ("broker", opens("/app/o/{org}/participation"), True),
    "participation for funders": ("broker", opens("/app/o/{org}/participation?view=funders"), True),
    "overview for funders": ("broker", opens("/app/o/{org}?view=funders"), False),
    "printable statement": ("broker", opens("/app/o/{org}/statement?ref=m-01&period=all"), True),
    "record": ("broker", opens("/app/o/{org}/record"), False),
    "record, refused": ("broker", sent_empty("/app/o/{org}/record"), True),
    "group session, refused": ("broker", sent_empty("/app/o/{org}/session"), False),
    "another organisation (403)": ("broker", opens("/app/o/{partner}"), False),
    "organisations (auditor)": ("auditor", opens("/app/organisations"), False),
    "pending (auditor)": ("auditor", opens("/app/o/{org}/pending"), False),
}
CASES = [
    pytest.param(name, size, id=f"{label}-{name}")
    for name, (_, _, phone) in PAGES.items()
    for label, size in (("desktop", DESKTOP), ("phone", PHONE))
    if label == "desktop" or phone
]


@pytest.fixture(scope="module")
def shown(site: Site) -> Showcase:
    return showcase(site)


@pytest.fixture(scope="module")
def pages(browser: Browser, site: Site, shown: Showcase) -> Iterator[Callable[..., Page]]:
    """One signed-in page per (visitor, screen size), reused across the module's tests."""
    made: dict[tuple[str, int], tuple[BrowserContext, Page]] = {}

    def page_for(who: str, size: ViewportSize) -> Page:
        if (who, size["width"]) not in made:
            context = browser.new_context(viewport=size)
            context.set_default_timeout(10_000)
            page = context.new_page()
            if who != "nobody":
                sign_in(page, site, shown.auditor if who == "auditor" else shown.org.broker)
            made[who, size["width"]] = (context, page)
        return made[who, size["width"]][1]

    yield page_for
    for context, _ in made.values():
        context.close()


@pytest.mark.parametrize(("name", "size"), CASES)
def test_no_serious_accessibility_problem(
    pages: Callable[..., Page],
    site: Site,
    shown: Showcase,
    axe_source: str,
    name: str,
    size: ViewportSize,
) -> None:
    who, visit, _ = PAGES[name]
    page = pages(who, size)
    visit(page, site, shown)
    assert page.locator("h1").count() == 1
    assert serious_violations(page, axe_source) == []


PHONE_PATHS = [
    "/app/o/{org}",
    "/app/o/{org}/accounts",
    "/app/o/{org}/pending",
    "/app/o/{org}/participation?period=all",
    "/app/o/{org}/statement?ref=m-01&period=all",
]


@pytest.mark.parametrize("path", PHONE_PATHS)
def test_on_a_phone_only_tables_scroll_sideways(
    pages: Callable[..., Page], site: Site, shown: Showcase, path: str
) -> None:
    page = pages("broker", PHONE)
    opens(path)(page, site, shown)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_check_reports_a_real_problem(
    pages: Callable[..., Page], site: Site, shown: Showcase, axe_source: str
) -> None:
    """A guard on the guard: an image with no text alternative is reported."""
    page = pages("nobody", DESKTOP)
    opens("/app/sign-in")(page, site, shown)
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")
    assert any(line.startswith("image-alt") for line in serious_violations(page, axe_source))
