"""The site under test (`timebank serve` on a temporary SQLite file), its API, and helpers
for driving its pages."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
SERIOUS = ("serious", "critical")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@dataclass
class Site:
    base_url: str
    admin_key: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key or self.admin_key}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_site(workdir: Path, database_url: str | None = None) -> Site:
    """`timebank serve` on 127.0.0.1, ready once /readyz says the read models caught up."""
    port, admin_key = free_port(), f"admin-{secrets.token_urlsafe(24)}"
    env = {
        **os.environ,
        "TIMEBANK_DATABASE_URL": database_url or f"sqlite:///{workdir}/timebank.sqlite3",
        "TIMEBANK_ADMIN_KEY": admin_key,
        "PYTHONPATH": str(ROOT),
    }
    log = workdir / f"serve-{port}.log"
    with log.open("wb") as out:
        command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=out, stderr=out)
    site = Site(f"http://127.0.0.1:{port}", admin_key, process, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{site.base_url}/readyz", timeout=1).status_code == 200:
                return site
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    site.stop()
    raise RuntimeError(f"the server did not start:\n{log.read_text(errors='replace')}")


@dataclass
class Org:
    id: str
    broker: str
    refs: list[str] = field(default_factory=list)
    position: int = 0
    """The last position its set-up wrote: reads through the API wait for it."""

    def fresh(self) -> dict[str, int]:
        return {"min_position": self.position}

    def account(self, ref: str) -> str:
        return f"{self.id}:{ref}"


def created(client: httpx.Client, path: str, body: Any) -> dict[str, Any]:
    """POST through the API, then wait until the read models (and so the pages) show it."""
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    if isinstance(answer.get("position"), int):
        wait = {"limit": 1, "min_position": answer["position"]}
        client.get("/v1/exchanges", params=wait).raise_for_status()
    return answer


def make_org(site: Site, refs: list[str], **settings: Any) -> Org:
    """A fresh organisation (its own id: tests never see each other's data) with accounts."""
    org = f"org-{uuid.uuid4().hex[:10]}"
    with site.api() as admin:
        created(admin, "/v1/organisations", {"id": org, "name": f"Timebank {org[4:]}", **settings})
        broker = created(admin, "/v1/keys", {"role": "broker", "organisation": org})["key"]
    position = 0
    with site.api(broker) as api:
        for ref in refs:
            position = created(api, "/v1/accounts", {"ref": ref})["position"]
    return Org(org, broker, list(refs), position)


def auditor_key(site: Site) -> str:
    with site.api() as admin:
        return str(created(admin, "/v1/keys", {"role": "auditor"})["key"])


def months_ago(months: int, day: int = 10) -> str:
    """A service date in an earlier month, never in the future."""
    today = date.today()
    index = today.year * 12 + today.month - 1 - months
    found = date(index // 12, index % 12 + 1, min(day, 28))
    return min(found, today - timedelta(days=1)).isoformat()


def sign_in(page: Page, site: Site, key: str) -> None:
    page.goto(f"{site.base_url}/app/sign-in")
    page.get_by_label("Your key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def serious_violations(page: Page, axe_source: str) -> list[str]:
    """axe-core run in the page: its serious and critical findings, one line each."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))",
        AXE_TAGS,
    )
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in found if v["impact"] in SERIOUS]


@dataclass
class Showcase:
    """An organisation with half a year of activity, a pending exchange from a partner
    organisation, and an account over its limit: every page has something to show."""

    org: Org
    partner: Org
    auditor: str


CATEGORIES = ("gardening", "befriending", "lifts", "cooking")


def showcase(site: Site) -> Showcase:
    refs = [f"m-{n:02d}" for n in range(1, 9)]
    org, partner = make_org(site, refs), make_org(site, ["p-01"])
    items = [
        {
            "giver": org.account(refs[i % 6]),
            "receiver": org.account(refs[(i + 1 + i // 6) % 6]),
            "minutes": 30 + 15 * (i % 5),
            "service_date": months_ago(i % 6, 1 + i % 27),
            "category": CATEGORIES[i % 4],
        }
        for i in range(30)
    ]
    with site.api(org.broker) as api:
        created(api, "/v1/exchanges/batch", {"exchanges": items})
        # m-08 spends nine hours, then its limit is cut to zero: over its limit.
        created(api, "/v1/exchanges", _spend(org, "m-07", "m-08", 540))
        patched = api.patch(f"/v1/accounts/{org.account('m-08')}", json={"credit_limit": 0})
        assert patched.status_code == 200, patched.text
    with site.api(partner.broker) as api:
        exchange = _spend(org, "m-01", "m-02", 90) | {"giver": partner.account("p-01")}
        exchange["note"] = "Helped at the spring fair"
        created(api, "/v1/exchanges", exchange)
    return Showcase(org, partner, auditor_key(site))


def _spend(org: Org, giver: str, receiver: str, minutes: int) -> dict[str, Any]:
    return {
        "giver": org.account(giver),
        "receiver": org.account(receiver),
        "minutes": minutes,
        "category": "lifts",
    }
