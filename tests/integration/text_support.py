"""A ledger with its projections and the API in process, and one helper per entry path that
takes free text: the JSON API, the web record form, `timebank import`."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.settings import ApiSettings
from ledger import Ledger, parse_database_url
from projections.setup import Projections, build

ORG = "riverside"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PATIENCE = 60.0  # a deadline for background threads, never a measured time


@dataclass
class Site:
    url: str
    ledger: Ledger
    projections: Projections
    client: TestClient
    broker: str
    following: bool = False

    def api(self, method: str, path: str, **options: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.broker}", **options.pop("headers", {})}
        answer: httpx.Response = self.client.request(method, path, headers=headers, **options)
        return answer

    def post_json(self, path: str, body: dict[str, Any], method: str = "POST") -> httpx.Response:
        """JSON as any client may send it: ASCII with escapes, so that a lone surrogate
        travels as `\\ud800` (httpx's own encoder cannot write one)."""
        content = json.dumps(body).encode()
        return self.api(method, path, content=content, headers={"Content-Type": "application/json"})

    def head(self) -> int:
        return self.ledger.head_position()

    def caught_up(self) -> bool:
        """Every projection (views and audit chain) processes the whole log, and stands at
        its head. Before the fix, a NUL made the views' page raise here, for good."""
        if not self.following:
            self.projections.runner.run_once()
        head = self.head()
        deadline = time.monotonic() + PATIENCE
        while not all(p.position() == head for p in self.projections.all):
            if self.projections.runner.stuck or time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    @contextmanager
    def follow(self) -> Iterator[None]:
        """The projections follow the log in the background, as in a server: the web form
        waits for them after it records."""
        self.projections.start(self.ledger)
        self.following = True
        try:
            yield
        finally:
            self.following = False
            self.projections.stop()

    def record_form(self, note: str) -> httpx.Response:
        """The web record form, as a browser posts it (percent-encoded UTF-8)."""
        if not self.following:  # the pages read the organisation from the views
            self.projections.runner.run_once()
        page = self.client.get(f"/app/o/{ORG}/record")
        token = _token(page)
        fields = {"csrf_token": token, "giver": "m-1", "receiver": "m-2", "hours": "1"}
        body = urlencode({**fields, "note": note}, encoding="utf-8", errors="surrogatepass")
        answer: httpx.Response = self.client.post(
            f"/app/o/{ORG}/record", content=body, headers=FORM, follow_redirects=False
        )
        return answer

    def sign_in(self) -> None:
        token = _token(self.client.get("/app/sign-in"))
        form = {"csrf_token": token, "key": self.broker, "next": ""}
        answer = self.client.post("/app/sign-in", data=form, follow_redirects=False)
        assert answer.status_code == 303, answer.text


def _token(page: httpx.Response) -> str:
    found = TOKEN.search(page.text)
    assert found is not None, page.text
    return found.group(1)


@contextmanager
def site_on(url: str, credit_limit: int = 600) -> Iterator[Site]:
    """An organisation with two accounts and a broker key, the API and the web pages."""
    ledger = Ledger(parse_database_url(url))
    ledger.register_organisation(ORG, "Riverside Timebank", credit_limit=credit_limit)
    ledger.register_organisation("oakwood", "Oakwood Day Service")
    for ref in ("m-1", "m-2"):
        ledger.open_account(ORG, ref)
    ledger.open_account("oakwood", "p-1")
    broker = ledger.issue_key("broker", ORG).key
    projections = build(ledger)
    settings = ApiSettings(admin_key="operator-key-for-tests", rate_limit=0)
    app = create_app(ledger, projections.read_models, settings=settings)
    try:
        with TestClient(app, base_url="http://127.0.0.1") as client:
            site = Site(url, ledger, projections, client, broker)
            site.sign_in()
            yield site
    finally:
        ledger.close()


def import_csv(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, note: str
) -> tuple[int, str]:
    """`timebank import` of one row with this note; (exit status, stderr)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["giver", "receiver", "minutes", "service_date", "note"])
    writer.writerow(["m-1", "m-2", "30", "2024-03-04", note])
    path = tmp_path / "exchanges.csv"
    path.write_bytes(out.getvalue().encode("utf-8", errors="surrogatepass"))
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", site.url)
    errors = io.StringIO()
    with monkeypatch.context() as patched:
        patched.setattr("sys.stderr", errors)
        patched.setattr("sys.stdout", io.StringIO())
        status = main(["import", str(path), "--organisation", ORG])
    return status, errors.getvalue()
