"""Keys, organisations and partners kept apart, on a real server on Postgres.

Keys are stored only as hashes and never logged; one organisation's keys (and revoked keys)
can neither read nor change another's accounts, exchanges or summary; auditor keys write
nothing; one key flooding the API is slowed (429, Retry-After) while another key goes on;
every answer carries the security headers.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import psycopg
import pytest

from tests.reliability import eventstore
from tests.reliability.conftest import Target
from tests.reliability.support import (
    Partner,
    Service,
    api_service,
    bearer,
    created,
    environment,
    register_partner,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(120)]
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def secret_of(key: str) -> str:
    return key.split("_", 2)[2]


def issue(client: httpx.Client, admin_key: str, role: str, org: str | None) -> dict[str, Any]:
    body = {"role": role, **({"organisation": org} if org else {})}
    return created(client, admin_key, "/v1/keys", body)


def database_text(database_url: str) -> str:
    """Every table of the server's schema as text: the events decoded, the rest as rows."""
    schema = parse_qs(urlparse(database_url).query)["schema"][0]
    texts = [json.dumps(e.data) for e in eventstore.events(database_url)]
    with psycopg.connect(database_url.split("?")[0]) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
        for (table,) in tables:
            rows = conn.execute(f'SELECT t::text FROM "{schema}"."{table}" t').fetchall()
            texts += [row[0] for row in rows]
    return "\n".join(texts)


def test_keys_are_stored_only_as_hashes_and_never_logged(
    target: Target, figures: dict[str, Any]
) -> None:
    with httpx.Client(base_url=target.base_url, timeout=30) as client:
        partner = register_partner(client, target.admin_key, accounts=2)
        keys = [partner.broker]
        keys += [issue(client, target.admin_key, role, org)["key"]
                 for role, org in (("poster", partner.org), ("auditor", None))]  # fmt: skip
        revoked = issue(client, target.admin_key, "broker", partner.org)
        client.delete(f"/v1/keys/{revoked['id']}", headers=bearer(target.admin_key))
        keys.append(revoked["key"])
        for key in keys:  # used, refused, and mistyped where a careless client might put it
            client.get("/v1/exchanges", headers=bearer(key))
            client.get("/v1/exchanges", headers=bearer(key + "x"))
            client.get(f"/v1/accounts/{key}", headers=bearer(key))
            client.post("/v1/exchanges", json={"note": key}, headers=bearer(key))
    stored = database_text(target.database_url)
    logged = target.service.output()
    secrets = [secret_of(key) for key in keys] + [target.admin_key]
    figures["keys_checked"] = len(secrets)
    figures["secrets_in_database"] = sum(secret in stored for secret in secrets)
    figures["secrets_in_logs"] = sum(secret in logged for secret in secrets)
    assert figures["secrets_in_database"] == 0
    assert figures["secrets_in_logs"] == 0
    assert logged.count("timebank.api.access") >= 4 * len(keys)  # every request was logged
    for key in keys[:-1]:
        assert hashlib.sha256(secret_of(key).encode()).hexdigest() in stored  # the hash is kept


@pytest.fixture(scope="module")
def two_partners(target: Target) -> Iterator[tuple[Partner, Partner, dict[str, str]]]:
    """A with an exchange, B; keys of B's broker and poster, an auditor, and a revoked key of A."""
    with httpx.Client(base_url=target.base_url, timeout=30) as client:
        a = register_partner(client, target.admin_key, accounts=2)
        b = register_partner(client, target.admin_key, accounts=2)
        poster_b = issue(client, target.admin_key, "poster", b.org)["key"]
        revoked = issue(client, target.admin_key, "broker", a.org)
        client.delete(f"/v1/keys/{revoked['id']}", headers=bearer(target.admin_key))
        auditor = issue(client, target.admin_key, "auditor", None)["key"]
        keys = {"broker_b": b.broker, "poster_b": poster_b, "revoked_a": revoked["key"]}
        yield a, b, {**keys, "auditor": auditor}


def reads_of(a: Partner, exchange: str) -> dict[str, str]:
    account = a.accounts[0]
    return {
        "account": f"/v1/accounts/{account}",
        "statement": f"/v1/accounts/{account}/statement",
        "reciprocity": f"/v1/accounts/{account}/reciprocity",
        "balance then": f"/v1/accounts/{account}?at_position=1",
        "exchange": f"/v1/exchanges/{exchange}",
        "summary": f"/v1/organisations/{a.org}/summary",
        "participation": f"/v1/organisations/{a.org}/participation",
        "accounts": f"/v1/organisations/{a.org}/accounts",
        "pending": f"/v1/organisations/{a.org}/pending",
    }


def writes_on(a: Partner, exchange: str, gift: str) -> list[tuple[str, str, Any]]:
    giver, receiver = a.accounts
    return [
        ("POST", "/v1/gifts", {"from": giver, "to": receiver, "minutes": 1}),
        ("POST", f"/v1/gifts/{gift}/reverse", {"reason": "not ours"}),
        ("PATCH", f"/v1/organisations/{a.org}", {"report_min_count": 1}),
        ("POST", "/v1/exchanges", {"giver": giver, "receiver": receiver, "minutes": 5}),
        (
            "POST",
            "/v1/exchanges/batch",
            {"exchanges": [{"giver": giver, "receiver": receiver, "minutes": 5}]},
        ),
        ("POST", f"/v1/exchanges/{exchange}/reverse", {"reason": "not ours"}),
        ("POST", f"/v1/exchanges/{exchange}/confirm", None),
        ("POST", f"/v1/exchanges/{exchange}/reject", {"reason": "not ours"}),
        ("PATCH", f"/v1/accounts/{giver}", {"credit_limit": 10_000}),
        ("POST", f"/v1/accounts/{giver}/close", None),
        ("POST", "/v1/accounts", {"ref": "intruder", "organisation": a.org}),
    ]


def test_one_organisations_keys_cannot_read_or_change_anothers(
    target: Target, two_partners: tuple[Partner, Partner, dict[str, str]], figures: dict[str, Any]
) -> None:
    a, _b, keys = two_partners
    outsiders = {name: keys[name] for name in ("broker_b", "poster_b", "revoked_a")}
    with httpx.Client(base_url=target.base_url, timeout=30) as client:
        giver, receiver = a.accounts
        body = {"giver": giver, "receiver": receiver, "minutes": 7, "note": "a-private-note"}
        exchange = created(client, a.broker, "/v1/exchanges", body)
        gift = created(client, a.broker, "/v1/gifts", {"from": giver, "to": receiver, "minutes": 1})
        tried = 0
        for name, key in outsiders.items():
            expected = 401 if name == "revoked_a" else 403
            for path in reads_of(a, exchange["id"]).values():
                params = {"min_position": exchange["position"]}
                answer = client.get(path, params=params, headers=bearer(key))
                assert answer.status_code == expected, (name, path, answer.text)
                assert "a-private-note" not in answer.text
                assert giver not in answer.text
                tried += 1
            for method, path, sent in writes_on(a, exchange["id"], gift["id"]):
                before = target.events()
                answer = client.request(method, path, json=sent, headers=bearer(key))
                assert answer.status_code == expected, (name, path, answer.text)
                assert target.events() == before, (name, path)
                tried += 1
            listed = client.get(
                "/v1/exchanges", params={"min_position": exchange["position"]},
                headers=bearer(key),
            )  # fmt: skip
            assert listed.status_code in (200, 401), listed.text
            assert exchange["id"] not in listed.text  # B's lists hold nothing of A's
            tried += 1
    figures["cross_organisation_requests_refused"] = tried


def test_auditor_keys_can_read_everything_and_write_nothing(
    target: Target, two_partners: tuple[Partner, Partner, dict[str, str]], figures: dict[str, Any]
) -> None:
    a, _, keys = two_partners
    auditor = bearer(keys["auditor"])
    with httpx.Client(base_url=target.base_url, timeout=30) as client:
        giver, receiver = a.accounts
        body = {"giver": giver, "receiver": receiver, "minutes": 3}
        exchange = created(client, a.broker, "/v1/exchanges", body)
        gift = created(client, a.broker, "/v1/gifts", {"from": giver, "to": receiver, "minutes": 1})
        witness_keys, webhooks = (
            f"/v1/organisations/{a.org}/witness-keys",
            f"/v1/organisations/{a.org}/webhooks",
        )
        writes = [*writes_on(a, exchange["id"], gift["id"]),
                  ("POST", "/v1/organisations", {"id": "auditor-made", "name": "No"}),
                  ("POST", "/v1/keys", {"role": "auditor"}),
                  ("DELETE", f"/v1/keys/{a.broker.split('_')[1]}", None),
                  ("POST", witness_keys, {"vkey": "auditor.example+00000000+AQ=="}),
                  ("DELETE", f"{witness_keys}/0123456789abcdef", None),
                  ("POST", webhooks, {"url": "https://partner.example/hook"}),
                  ("DELETE", f"{webhooks}/wh_0123456789abcdef", None),
                  ("POST", f"{webhooks}/wh_0123456789abcdef/enable", None),
                  ("PUT", f"/v1/accounts/{giver}/profile", {"display_name": "Not Mine"}),
                  ("POST", f"/v1/accounts/{giver}/erase", {"request_ref": "A-1"})]  # fmt: skip
        documented = client.get("/openapi.json").json()["paths"]
        writable = {(m.upper(), p) for p, ops in documented.items() for m in ops if m != "get"}
        # Cosignatures hold hashes, not data: any valid key may post them (the contract).
        hashes_only = {("POST", "/v1/audit/log/cosignatures")}
        assert len(writable - hashes_only) == len(writes)  # every write documented is tried below
        for method, path, sent in writes:
            before = target.events()
            answer = client.request(method, path, json=sent, headers=auditor)
            assert answer.status_code == 403, (method, path, answer.text)
            assert answer.json()["code"] == "forbidden"
            assert target.events() == before
        for path in reads_of(a, exchange["id"]).values():
            params = {"min_position": exchange["position"]}
            assert client.get(path, params=params, headers=auditor).status_code == 200, path
    figures["auditor_writes_refused"] = len(writes)


@pytest.fixture
def limited(postgres_url: str, tmp_path: Path, admin_key: str) -> Iterator[Service]:
    service = api_service(environment(postgres_url, admin_key, TIMEBANK_RATE_LIMIT="10"), tmp_path)
    service.start()
    try:
        service.wait_healthy()
        yield service
    finally:
        service.stop()


def test_one_key_flooding_is_slowed_while_another_key_goes_on(
    limited: Service, admin_key: str, figures: dict[str, Any]
) -> None:
    """10 requests a second per key, bursts of 20: the flood is refused with Retry-After, the
    partner beside it, at 5 a second, is served every time and promptly."""
    with httpx.Client(base_url=limited.base_url, timeout=30) as client:
        flooder = issue(client, admin_key, "auditor", None)["key"]
        other = issue(client, admin_key, "auditor", None)["key"]
    flood: Counter[int] = Counter()
    retry_after: set[str] = set()
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=limited.base_url, timeout=30) as mine:
            while not stop.is_set():
                answer = mine.get("/v1/audit/checkpoints", headers=bearer(flooder))
                flood[answer.status_code] += 1
                if answer.status_code == 429:
                    assert answer.json()["code"] == "rate_limited"
                    retry_after.add(answer.headers["Retry-After"])

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    served, slowest = [], 0.0
    try:
        with httpx.Client(base_url=limited.base_url, timeout=30) as client:
            for _ in range(15):
                started = time.monotonic()
                served.append(client.get("/v1/audit/checkpoints", headers=bearer(other)))
                slowest = max(slowest, time.monotonic() - started)
                time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    figures.update(flood=dict(flood), other_key=dict(Counter(r.status_code for r in served)))
    figures["other_key_slowest_seconds"] = round(slowest, 3)
    assert flood[429] > flood[200] > 0
    assert set(flood) == {200, 429}
    assert retry_after
    assert all(1 <= int(seconds) <= 2 for seconds in retry_after)
    assert [r.status_code for r in served] == [200] * len(served)
    assert slowest < 1.0


def test_every_kind_of_answer_carries_the_security_headers(target: Target) -> None:
    with httpx.Client(base_url=target.base_url, timeout=30) as client:
        admin = bearer(target.admin_key)
        answers = {
            "ok": client.get("/v1/exchanges", headers=admin),
            "created": client.post("/v1/keys", json={"role": "auditor"}, headers=admin),
            "unauthorised": client.get("/v1/exchanges"),
            "invalid": client.post("/v1/keys", json={"role": "x"}, headers=admin),
            "not found": client.get("/nothing-here"),
            "too large": client.post("/v1/keys", content=b"x" * (2 * 1024 * 1024), headers=admin),
            "health": client.get("/healthz"),
            "metrics": client.get("/metrics", headers=admin),
            "docs": client.get("/docs"),
            "openapi": client.get("/openapi.json"),
        }
    for name, answer in answers.items():
        for header, value in SECURITY_HEADERS.items():
            assert answer.headers.get(header) == value, (name, header, answer.headers)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], name
