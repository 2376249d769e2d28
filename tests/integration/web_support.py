"""The pages in process (FastAPI's TestClient) over a ledger of the test's backend."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from ledger import Ledger
from projections.setup import build

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
ORG = "north"


def token_of(response: httpx.Response) -> str:
    found = TOKEN.search(response.text)
    assert found is not None, response.text
    return found.group(1)


@dataclass
class Pages:
    client: TestClient
    ledger: Ledger
    broker: str

    def sign_in(self, key: str | None = None) -> httpx.Response:
        token = token_of(self.client.get("/app/sign-in"))
        return self.client.post(
            "/app/sign-in", data={"csrf_token": token, "key": key or self.broker}
        )

    def sign_out(self) -> httpx.Response:
        token = token_of(self.client.get(f"/app/o/{ORG}"))
        return self.client.post("/app/sign-out", data={"csrf_token": token})

    def post(self, page: str, form: dict[str, str]) -> httpx.Response:
        token = token_of(self.client.get(f"/app/o/{ORG}/{page}"))
        return self.client.post(f"/app/o/{ORG}/{page}", data=form | {"csrf_token": token})

    @property
    def cookie(self) -> str:
        return str(self.client.cookies["timebank_session"])

    def use_cookie(self, value: str) -> None:
        self.client.cookies.clear()
        self.client.cookies.set("timebank_session", value, path="/app")

    def signed_in(self) -> bool:
        answer = self.client.get(f"/app/o/{ORG}")
        assert answer.status_code in (200, 303), answer.text
        return answer.status_code == 200


def prepared(ledger: Ledger) -> str:
    """An organisation with two accounts; the answer is a broker key for it."""
    ledger.register_organisation(ORG, "North")
    for ref in ("ann", "bob"):
        ledger.open_account(ORG, ref)
    return ledger.issue_key("broker", ORG).key


@contextmanager
def pages_of(ledger: Ledger, broker: str | None = None, **settings: object) -> Iterator[Pages]:
    broker = broker or prepared(ledger)
    projections = build(ledger)  # run here, in threads, whatever the backend
    projections.start(ledger)
    models = projections.read_models
    assert models.wait_for(ledger.head_position(), timeout=30)
    options = {"admin_key": "operator-key-for-tests", **settings}
    app = create_app(ledger, models, settings=ApiSettings(**options))  # type: ignore[arg-type]
    try:
        with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
            yield Pages(client, ledger, broker)
    finally:
        projections.stop()
        models.close()


MakeLedger = Callable[..., Ledger]
