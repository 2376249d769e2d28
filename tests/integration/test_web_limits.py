"""Limits on the pages: one rate limiter with the API, per address before sign-in, forms
that cost linear work and never answer 500."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from api.web import forms
from tests.integration.web_support import ORG, MakeLedger, pages_of

UNKNOWN = "tbk_0123456789abcdef_" + "x" * 43


@pytest.fixture
def database_url() -> str:
    """Limits and forms are the same on every backend (sessions: test_web_sessions.py)."""
    return "memory://"


def test_pages_and_the_api_take_from_one_limit_per_key(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger(), rate_limit=1.0) as pages:  # bursts of 2
        pages.sign_in()
        assert [pages.client.get(f"/app/o/{ORG}").status_code for _ in range(2)] == [200, 200]
        refused = pages.client.get(f"/app/o/{ORG}")
        assert refused.status_code == 429
        assert "Too many requests" in refused.text
        assert int(refused.headers["retry-after"]) >= 1
        api = pages.client.get(
            f"/v1/organisations/{ORG}", headers={"Authorization": f"Bearer {pages.broker}"}
        )
        assert api.status_code == 429
        assert api.json()["code"] == "rate_limited"


def test_requests_without_a_valid_key_are_limited_per_address_before_any_look_up(
    make_ledger: MakeLedger,
) -> None:
    ledger = make_ledger()
    with pages_of(ledger, address_rate_limit=1.0) as pages:  # bursts of 2
        looked_up = count_calls(ledger, "submit_authentication")
        bearer = {"Authorization": f"Bearer {UNKNOWN}"}
        answers = [pages.client.get("/v1/audit/checkpoints", headers=bearer) for _ in range(5)]
        assert [a.status_code for a in answers] == [401, 401, 429, 429, 429]
        assert answers[2].json()["code"] == "rate_limited"
        assert int(answers[2].headers["retry-after"]) >= 1
        assert looked_up == [UNKNOWN] * 2
        assert pages.client.get(f"/app/o/{ORG}").status_code == 429  # the pages too


def test_failed_sign_ins_and_signed_out_pages_count_against_the_address(
    make_ledger: MakeLedger,
) -> None:
    with pages_of(make_ledger(), address_rate_limit=1.0) as pages:
        assert pages.sign_in(UNKNOWN).status_code == 422
        assert pages.client.get(f"/app/o/{ORG}").status_code == 303  # to the sign-in page
        assert pages.sign_in(UNKNOWN).status_code == 429
        assert pages.client.get("/v1/audit/checkpoints").status_code == 429


def test_a_valid_key_costs_its_address_nothing(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger(), address_rate_limit=1.0) as pages:
        pages.sign_in()
        bearer = {"Authorization": f"Bearer {pages.broker}"}
        for _ in range(10):
            assert pages.client.get(f"/v1/organisations/{ORG}", headers=bearer).status_code == 200
            assert pages.signed_in()


def test_forty_thousand_receivers_are_refused_for_their_number_before_any_is_read(
    make_ledger: MakeLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = []
    account_id = forms.account_id
    monkeypatch.setattr(forms, "account_id", lambda *a: read.append(1) or account_id(*a))
    refs = " ".join(f"r{i % 100:02d}" for i in range(40_000))  # 160 KB of three-letter refs
    with pages_of(make_ledger()) as pages:
        pages.sign_in()
        answer = pages.post("session", {"giver": "ann", "receivers": refs, "hours": "1"})
    assert answer.status_code == 422
    assert f"A session takes at most {forms.MAX_RECEIVERS} receivers." in answer.text
    assert len(read) <= 2  # the giver, and nothing for each of 40,000 receivers


def test_receivers_listed_twice_are_named_once_each() -> None:
    form = forms.Form({"giver": "ann", "receivers": "bob, cy bob\ncy dee", "hours": "1"})
    assert forms.group_session(form, ORG, date(2025, 1, 1)) is None
    assert form.errors["receivers"] == "Listed more than once: bob, cy."


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("\u00b2", "Enter whole hours and minutes, as numbers."),
        ("\u0663", "Enter whole hours and minutes, as numbers."),  # Arabic-Indic three
        ("9" * 5000, "The time must be at least 1 minute and at most 24 hours."),
        ("0" * 5000 + "1", None),
    ],
)
def test_hours_that_are_not_plain_digits_get_the_forms_error(
    make_ledger: MakeLedger, hours: str, message: str | None
) -> None:
    with pages_of(make_ledger()) as pages:
        pages.sign_in()
        answer = pages.post("record", {"giver": "ann", "receiver": "bob", "hours": hours})
    if message is None:
        assert answer.status_code == 303
        return
    assert answer.status_code == 422
    assert message in answer.text


@pytest.mark.parametrize("sort", ["balance", "given", "received"])
def test_an_accounts_cursor_beyond_64_bits_is_refused_not_a_500(
    make_ledger: MakeLedger, sort: str
) -> None:
    with pages_of(make_ledger()) as pages:
        pages.sign_in()
        for value in ("99999999999999999999", "-99999999999999999999"):
            answer = pages.client.get(
                f"/app/o/{ORG}/accounts", params={"sort": sort, "after": f"{value}~{ORG}:ann"}
            )
            assert answer.status_code == 422, answer.text
        assert pages.client.get(f"/app/o/{ORG}/accounts", params={"sort": sort}).is_success


def count_calls(target: Any, name: str) -> list[Any]:
    """The first argument of each call of `target.name` from now on."""
    calls: list[Any] = []
    method = getattr(target, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return method(*args, **kwargs)

    setattr(target, name, counted)
    return calls
