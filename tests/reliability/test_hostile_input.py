"""Hand-written hostile requests against a real server on Postgres: every one is refused with
a 4xx problem+json, and the event log holds exactly as many events after it as before."""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.reliability.conftest import Target
from tests.reliability.support import Partner, bearer, register_partner

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(120)]
JSON = {"Content-Type": "application/json"}
MiB = 1024 * 1024


@dataclass(frozen=True)
class Hostile:
    name: str
    method: str
    path: str
    options: dict[str, Any]


def body(name: str, sent: Any, path: str = "/v1/exchanges") -> Hostile:
    return Hostile(name, "POST", path, {"json": sent})


def raw(name: str, content: bytes, headers: dict[str, str] | None = None) -> Hostile:
    return Hostile(name, "POST", "/v1/exchanges", {"content": content, "headers": headers or JSON})


def exchanges(partner: Partner) -> Iterator[Hostile]:
    """Exchange bodies with one field made hostile at a time."""
    giver, receiver = partner.accounts[:2]
    fair = {"giver": giver, "receiver": receiver, "minutes": 30}
    minutes: list[Any] = [0, -1, -(10**9), 1441, 10**30, 2**63, 1.5, 60.0, 1e308, "60", True]
    minutes += [None, [60], {"value": 60}]
    for value in minutes:
        yield body(f"minutes {value!r:.40}", {**fair, "minutes": value})
    for value in ("0001-01-01", "1900-01-01", "1970-01-01", "9999-12-31", "3000-01-01",
                  "10000-01-01", "-0001-01-01", "2025-02-30", "2025-13-01", "2025-1-1",
                  "2025-01-01T00:00:00Z", "today", "", 20250101, ["2025-01-01"]):  # fmt: skip
        yield body(f"service_date {value!r}", {**fair, "service_date": value})
    for value in ("\x00", "\x07bell", "\x1b[31mred", "\x7f", "x" * 501,
                  42, ["note"], {"text": "note"}):  # fmt: skip
        yield body(f"note {value!r:.40}", {**fair, "note": value})
    for value in ("Not A Slug", "ünïcode", "a" * 41, "<script>", "x;DROP", "", 7):
        yield body(f"category {value!r:.40}", {**fair, "category": value})
    for value in (f"{partner.org}:m-000\x00", f"{partner.org}:m\u202e000", f"{partner.org}:😀",
                  f"{partner.org}:" + "a" * 10_000, "x' OR '1'='1", f"{partner.org}:m-000' --",
                  "../../etc/passwd", f"{partner.org}:m-000;DROP TABLE ledger_events", "",
                  7, None, [giver], {"id": giver}):  # fmt: skip
        yield body(f"giver {value!r:.40}", {**fair, "giver": value})
    yield body("unknown field", {**fair, "approved": True})
    yield body("same account", {**fair, "receiver": giver})
    bodies: list[Any] = [[], "exchange", 60, None, [fair], {}]
    for sent in bodies:
        yield body(f"body {sent!r:.40}", sent)
    yield body("batch of none", {"exchanges": []}, "/v1/exchanges/batch")
    yield body("batch over 1000", {"exchanges": [fair] * 1001}, "/v1/exchanges/batch")
    yield body(
        "batch, one bad", {"exchanges": [fair, {**fair, "minutes": 0}]}, "/v1/exchanges/batch"
    )


def accounts_and_organisations(partner: Partner) -> Iterator[Hostile]:
    for ref in (
        "",
        "has space",
        "a" * 65,
        "ümlaut",
        "m\x00",
        "m\u200b",
        "../x",
        "m;--",
        "' OR 1=1",
    ):
        yield body(f"account ref {ref!r:.40}", {"ref": ref}, "/v1/accounts")
    for limits in ({"credit_limit": -1}, {"credit_limit": 1.5}, {"credit_limit": 10**30},
                   {"max_balance": "lots"}, {"kind": "robot"}):  # fmt: skip
        yield body(f"account {limits}", {"ref": "m-new", **limits}, "/v1/accounts")
    for org in ("", "A", "x", "has space", "a" * 64, "org'; DROP SCHEMA public; --", "ünï"):
        yield Hostile(f"organisation id {org!r:.40}", "POST", "/v1/organisations",
                      {"json": {"id": org, "name": "x"}, "as_admin": True})  # fmt: skip


def malformed(partner: Partner) -> Iterator[Hostile]:
    giver, receiver = partner.accounts[:2]
    fair = json.dumps({"giver": giver, "receiver": receiver, "minutes": 30}).encode()
    yield raw("truncated", fair[:-5])
    yield raw("trailing garbage", fair + b" {}")
    yield raw("single quotes", fair.replace(b'"', b"'"))
    yield raw("trailing comma", fair[:-1] + b",}")
    yield raw("comment", b"/* hi */" + fair)
    yield raw("invalid utf-8", fair.replace(b"30", b'"\xff\xfe"'))
    yield raw("utf-16", json.dumps({"giver": giver}).encode("utf-16"))
    yield raw("empty", b"")
    yield raw("NaN", fair.replace(b"30", b"NaN"))
    yield raw("Infinity", fair.replace(b"30", b"Infinity"))
    yield raw("5000-digit number", fair.replace(b"30", b"9" * 5000))
    yield raw("duplicate minutes", fair[:-1] + b', "minutes": 1440}')
    yield raw("duplicate giver", fair[:-1] + f', "giver": "{receiver}"}}'.encode())
    yield raw("deeply nested object", b'{"a":' * 100_000 + b"1" + b"}" * 100_000)
    yield raw(
        "deeply nested in a field", fair[:-1] + b', "note": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    )
    yield raw("2 MiB note", b'{"note": "' + b"x" * (2 * MiB) + b'"}')
    yield raw("lone surrogate in a note", fair[:-1] + b', "note": "\\ud800"}')
    yield raw("100,000 keys", b"{" + b",".join(b'"k%d":1' % n for n in range(100_000)) + b"}")
    media_types = (
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data; boundary=x",
    )
    for media in media_types:
        yield raw(f"content type {media}", fair, {"Content-Type": media})
    yield raw(
        "form body",
        b"giver=a&receiver=b&minutes=30",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    yield raw(
        "xml body",
        b"<exchange><minutes>30</minutes></exchange>",
        {"Content-Type": "application/xml"},
    )


def paths_and_queries(partner: Partner) -> Iterator[Hostile]:
    account = partner.accounts[0]
    for injected in ("x' OR '1'='1", "1;DROP TABLE ledger_events", "%27%20OR%201=1--",
                     "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2fkeys", "%00", "a%0d%0aSet-Cookie:%20x=1",
                     "x" * 5000, "%F0%9F%98%80", "%C0%AE%C0%AE"):  # fmt: skip
        for template in ("/v1/accounts/{}", "/v1/exchanges/{}", "/v1/organisations/{}/summary",
                         "/v1/accounts/{}/statement"):  # fmt: skip
            yield Hostile(f"GET {template} {injected:.30}", "GET", template.format(injected), {})
        yield Hostile(f"confirm {injected:.30}", "POST", f"/v1/exchanges/{injected}/confirm", {})
        yield Hostile(
            f"patch {injected:.30}",
            "PATCH",
            f"/v1/accounts/{injected}",
            {"json": {"credit_limit": 5}},
        )
        yield Hostile(
            f"revoke {injected:.30}", "DELETE", f"/v1/keys/{injected}", {"as_admin": True}
        )
    for query in ({"after": "' OR 1=1 --"}, {"limit": "-1"}, {"limit": "10000"}, {"limit": "1e3"},
                  {"min_position": "-5"}, {"min_position": "99999999999999999999999"},
                  {"status": "completed' OR '1'='1"}, {"account": "x' OR '1'='1"},
                  {"as_of": "0001-01-01T00:00"}, {"unknown": "1"}):  # fmt: skip
        yield Hostile(f"list exchanges {query}", "GET", "/v1/exchanges", {"params": query})
    for query in ({"at_position": "-1"}, {"as_of": "99999-01-01"}, {"as_of": "2025-02-30"}):
        yield Hostile(f"read account {query}", "GET", f"/v1/accounts/{account}", {"params": query})
    yield Hostile("idempotency key 256 chars", "POST", "/v1/exchanges",
                  {"json": {}, "headers": {"Idempotency-Key": "k" * 256}})  # fmt: skip


@pytest.fixture(scope="module")
def partner(target: Target) -> Partner:
    with httpx.Client(base_url=target.base_url, timeout=30) as client:
        return register_partner(client, target.admin_key, accounts=3)


def send(
    client: httpx.Client, target: Target, partner: Partner, hostile: Hostile
) -> httpx.Response:
    options = dict(hostile.options)
    key = target.admin_key if options.pop("as_admin", False) else partner.broker
    headers = {**bearer(key), **options.pop("headers", {})}
    return client.request(hostile.method, hostile.path, headers=headers, **options)


def test_hostile_requests_are_refused_with_problems_and_change_nothing(
    target: Target, partner: Partner, figures: dict[str, Any]
) -> None:
    cases = [*exchanges(partner), *accounts_and_organisations(partner), *malformed(partner),
             *paths_and_queries(partner)]  # fmt: skip
    statuses: Counter[int] = Counter()
    wrong: list[str] = []
    with httpx.Client(base_url=target.base_url, timeout=30) as client:
        for hostile in cases:
            before = target.events()
            response = send(client, target, partner, hostile)
            statuses[response.status_code] += 1
            if problem := _not_a_refusal(response) or _changed(target, before):
                wrong.append(f"{hostile.name}: {problem}")
    figures["hostile_requests_tried"] = len(cases)
    figures["statuses"] = dict(sorted(statuses.items()))
    figures["server_errors_5xx"] = sum(n for status, n in statuses.items() if status >= 500)
    assert not wrong, "\n".join(wrong)


def _not_a_refusal(response: httpx.Response) -> str | None:
    media = response.headers.get("content-type", "")
    if not 400 <= response.status_code < 500:
        return f"answered {response.status_code}: {response.text[:200]}"
    if not media.startswith("application/problem+json"):
        return f"{response.status_code} as {media!r}"
    body = response.json()
    if body.get("status") != response.status_code or not body.get("code"):
        return f"a problem without its status or code: {body}"
    return None


def _changed(target: Target, before: tuple[int, int]) -> str | None:
    after = target.events()
    return f"the log went from {before} to {after}" if after != before else None


def raw_request(target: Target, head: bytes) -> tuple[int, bytes]:
    """Bytes no well-behaved client would send (httpx refuses to), straight down a socket."""
    url = httpx.URL(target.base_url)
    with socket.create_connection((url.host, url.port or 80), timeout=10) as sock:
        sock.sendall(head + b"\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer


KEYED = b"GET /v1/exchanges HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tbk_"
RAW = {
    "NUL in a key": KEYED + b"\x00a_b",
    "control in a key": KEYED + b"\x01_b",
    "bytes in a key": KEYED + b"\xff_b",
    "NUL in the path": b"GET /v1/exchanges/\x00 HTTP/1.1\r\nHost: x",
    "negative length": b"POST /v1/exchanges HTTP/1.1\r\nHost: x\r\nContent-Length: -1",
    "enormous length": b"POST /v1/exchanges HTTP/1.1\r\nHost: x\r\nContent-Length: 9" + b"9" * 30,
    "100 kB path": b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x",
    "100 kB header": b"GET / HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 100_000,
    "not HTTP": b"NONSENSE",
}


def test_malformed_http_is_refused_without_a_server_error(
    target: Target, figures: dict[str, Any]
) -> None:
    """Status 0: the server closed the connection without an answer, which is a refusal too."""
    answered = {}
    for name, head in RAW.items():
        before = target.events()
        status, answer = raw_request(target, head + b"\r\nConnection: close")
        answered[name] = status
        assert status == 0 or 400 <= status < 500, (name, answer[:300])
        assert target.events() == before
    figures["hostile_requests_tried"] = len(RAW)
    figures["statuses"] = answered
    figures["server_errors_5xx"] = 0
