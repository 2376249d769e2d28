"""Web sessions end: by sign-out, by the server's clock, by revocation; the cookie is no key."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import timedelta

import pytest

from ledger import SESSION_SECONDS, parse_database_url
from ledger.access import parse_key
from tests.integration.web_support import ORG, MakeLedger, pages_of
from tests.unit.support import Clock


def test_a_cookie_replayed_after_sign_out_is_signed_out(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger()) as pages:
        assert pages.sign_in().status_code == 303
        kept = pages.cookie
        assert pages.signed_in()
        assert pages.sign_out().status_code == 303
        pages.use_cookie(kept)
        assert not pages.signed_in()


def test_the_cookie_holds_no_part_of_the_key(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger()) as pages:
        pages.sign_in()
        parts = parse_key(pages.broker)  # a secret may hold "_" itself: split as the ledger does
        assert parts is not None
        key_id, secret = parts
        assert secret not in pages.cookie
        assert key_id not in pages.cookie


def test_no_part_of_the_cookie_works_as_a_bearer_token(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger()) as pages:
        pages.sign_in()
        for part in {pages.cookie, *pages.cookie.split(".")}:
            answer = pages.client.get(
                f"/v1/organisations/{ORG}", headers={"Authorization": f"Bearer {part}"}
            )
            assert answer.status_code == 401


def test_a_key_behind_any_nonce_is_no_session(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger()) as pages:
        pages.use_cookie(f"{'n' * 32}.{pages.broker}")
        assert not pages.signed_in()


def test_a_session_ends_after_twelve_hours_whatever_the_browser_keeps(
    make_ledger: MakeLedger,
) -> None:
    clock = Clock()
    with pages_of(make_ledger(clock=clock)) as pages:
        pages.sign_in()
        clock.now += timedelta(seconds=SESSION_SECONDS - 1)
        assert pages.signed_in()
        clock.now += timedelta(seconds=1)
        assert not pages.signed_in()
        assert pages.sign_in().status_code == 303  # a new session starts afresh
        assert pages.signed_in()


def test_a_revoked_key_ends_its_sessions_at_once(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger()) as pages:
        pages.sign_in()
        assert pages.signed_in()
        pages.ledger.revoke_key(pages.broker.split("_")[1])
        assert not pages.signed_in()


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_any_api_process_on_the_database_serves_a_session(make_ledger: MakeLedger) -> None:
    first, second = make_ledger(), make_ledger()
    with pages_of(first) as one, pages_of(second, broker=one.broker) as other:
        one.sign_in()
        other.use_cookie(one.cookie)
        assert other.signed_in()
        other.sign_out()
        assert not one.signed_in()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_database_keeps_only_the_hash_of_a_session_id(
    make_ledger: MakeLedger, database_url: str
) -> None:
    with pages_of(make_ledger()) as pages:
        pages.sign_in()
        path = parse_database_url(database_url).env["SQLITE_DBNAME"]
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT id_hash, key_id, issued_at, expires_at FROM ledger_sessions")
            (id_hash, key_id, issued_at, expires_at), *more = rows.fetchall()
        assert not more
        assert id_hash == hashlib.sha256(pages.cookie.encode()).hexdigest()
        assert key_id == pages.broker.split("_")[1]
        assert expires_at - issued_at == SESSION_SECONDS


def test_signing_in_again_ends_the_session_before(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger()) as pages:
        pages.sign_in()
        before = pages.cookie
        pages.sign_in()
        assert pages.cookie != before
        pages.use_cookie(before)
        assert not pages.signed_in()
