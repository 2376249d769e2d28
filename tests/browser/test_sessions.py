"""Sessions over plain HTTP: the cookie's flags, CSRF on every form, revocation, redirects."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from ledger import Ledger, parse_database_url
from projections import open_read_models
from tests.browser.support import Org, Site, created, make_org

pytestmark = pytest.mark.timeout(60, func_only=True)
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def token_of(response: httpx.Response) -> str:
    found = TOKEN.search(response.text)
    assert found is not None, response.text
    return found.group(1)


def signed_in(client: httpx.Client, key: str, next_: str = "") -> httpx.Response:
    token = token_of(client.get("/app/sign-in"))
    form = {"csrf_token": token, "key": key, "next": next_}
    return client.post("/app/sign-in", data=form)


@pytest.fixture
def browser_like(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, follow_redirects=False, timeout=30) as client:
        yield client


def balance(site: Site, org: Org, ref: str) -> int:
    with site.api(org.broker) as api:
        answer = api.get(f"/v1/accounts/{org.account(ref)}", params=org.fresh())
        return int(answer.json()["balance"])


def test_a_form_without_its_session_token_records_nothing(
    site: Site, browser_like: httpx.Client
) -> None:
    org = make_org(site, ["ann", "bob"])
    assert signed_in(browser_like, org.broker).status_code == 303
    form = {"giver": "ann", "receiver": "bob", "hours": "1"}
    for token in ("", "0" * 64):
        response = browser_like.post(f"/app/o/{org.id}/record", data=form | {"csrf_token": token})
        assert response.status_code == 403
        assert "This form has expired" in response.text
    assert balance(site, org, "bob") == 0
    real = token_of(browser_like.get(f"/app/o/{org.id}/record"))
    response = browser_like.post(f"/app/o/{org.id}/record", data=form | {"csrf_token": real})
    assert response.status_code == 303
    assert balance(site, org, "bob") == -60


def test_signing_in_needs_the_forms_token_too(site: Site, browser_like: httpx.Client) -> None:
    org = make_org(site, [])
    response = browser_like.post("/app/sign-in", data={"key": org.broker, "csrf_token": ""})
    assert response.status_code == 403
    assert browser_like.get(f"/app/o/{org.id}").status_code == 303  # still signed out


def test_signing_in_starts_a_new_session(site: Site, browser_like: httpx.Client) -> None:
    org = make_org(site, [])
    browser_like.get("/app/sign-in")
    before = browser_like.cookies["timebank_session"]
    assert signed_in(browser_like, org.broker).headers["location"] == "/app"
    after = browser_like.cookies["timebank_session"]
    assert after.split(".")[0] != before


def test_a_revoked_key_is_signed_out_at_once(site: Site, browser_like: httpx.Client) -> None:
    org = make_org(site, [])
    with site.api() as admin:
        issued = created(admin, "/v1/keys", {"role": "broker", "organisation": org.id})
    signed_in(browser_like, issued["key"])
    assert browser_like.get(f"/app/o/{org.id}").status_code == 200
    with site.api() as admin:
        assert admin.delete(f"/v1/keys/{issued['id']}").status_code == 204
    response = browser_like.get(f"/app/o/{org.id}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/app/sign-in?next=")


@pytest.mark.parametrize("target", ["https://elsewhere.example/", "//elsewhere.example/app"])
def test_sign_in_never_sends_a_visitor_to_another_site(
    site: Site, browser_like: httpx.Client, target: str
) -> None:
    org = make_org(site, [])
    assert signed_in(browser_like, org.broker, target).headers["location"] == "/app"


def test_admin_and_poster_keys_do_not_open_the_pages(
    site: Site, browser_like: httpx.Client
) -> None:
    org = make_org(site, [])
    with site.api() as admin:
        poster = created(admin, "/v1/keys", {"role": "poster", "organisation": org.id})["key"]
    for key, role in ((site.admin_key, "an admin"), (poster, "a poster")):
        response = signed_in(browser_like, key)
        assert response.status_code == 422
        assert f"This is {role} key" in response.text


def test_serve_prints_the_pages_address(site: Site) -> None:
    assert f"{site.base_url}/app" in site.log.read_text()


@pytest.mark.parametrize(("scheme", "secure"), [("https", True), ("http", False)])
def test_the_session_cookie_is_httponly_strict_and_secure_over_https(
    scheme: str, secure: bool
) -> None:
    ledger = Ledger(parse_database_url("memory://"))
    models = open_read_models(ledger)
    app = create_app(ledger, models, settings=ApiSettings(admin_key="operator"))
    try:
        with TestClient(app, base_url=f"{scheme}://127.0.0.1") as client:
            cookie = client.get("/app/sign-in").headers["set-cookie"]
    finally:
        models.close()
        ledger.close()
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/app"} <= flags
    assert ("secure" in flags) is secure


def test_the_cookie_sent_again_after_sign_out_is_signed_out(
    site: Site, browser_like: httpx.Client
) -> None:
    org = make_org(site, [])
    signed_in(browser_like, org.broker)
    kept = browser_like.cookies["timebank_session"]
    token = token_of(browser_like.get(f"/app/o/{org.id}"))
    assert browser_like.post("/app/sign-out", data={"csrf_token": token}).status_code == 303
    browser_like.cookies.clear()
    browser_like.cookies.set("timebank_session", kept, path="/app")
    response = browser_like.get(f"/app/o/{org.id}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/app/sign-in?next=")
