"""What the pages say, without a browser: time as people say it, the ledger's refusals in
plain words next to the right field, and the forms' own checks."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from api.web import forms, refusals
from api.web.forms import Form
from api.web.pages import duration, hours
from domain.errors import (
    AccountClosed,
    CreditLimitExceeded,
    LedgerError,
    MaxBalanceExceeded,
    UnknownAccount,
)
from ledger import ExchangeRequest

TODAY = date(2025, 6, 15)
SPOKEN = re.compile(r"(\u2212|\+)?(?:(\d+) h)?(?: ?(\d+) min)?")


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(10**7), max_value=10**7))
def test_a_duration_reads_back_as_the_same_minutes(minutes: int) -> None:
    spoken = duration(minutes, signed=True)
    found = SPOKEN.fullmatch(spoken)
    assert found is not None, spoken
    sign = -1 if found.group(1) == "\u2212" else 1
    assert sign * (int(found.group(2) or 0) * 60 + int(found.group(3) or 0)) == minutes
    assert float(hours(minutes).replace("\u2212", "-").replace(",", "")) == round(minutes / 60, 2)


def refused(error: LedgerError, *requests: ExchangeRequest, group: bool = False) -> Form:
    form = Form({})
    refusals.place(form, error, list(requests), "north", group)
    return form


def test_limits_are_explained_on_the_side_they_stop() -> None:
    ask = ExchangeRequest("north:ann", "north:bob", 90)
    low = CreditLimitExceeded(
        "north:bob would go to -690 minutes, below its credit limit of -600", account="north:bob"
    )
    assert refused(low, ask).errors == {
        "receiver": "bob has too little time: this would take its balance to \u221211 h 30 min,"
        " and it may not go below \u221210 h."
    }
    high = MaxBalanceExceeded(
        "north:ann would go to 1290 minutes, above its maximum balance of 1200",
        account="north:ann",
    )
    assert refused(high, ask).errors["giver"] == (
        "ann would have too much time: this would take its balance to 21 h 30 min,"
        " and it may not go above 20 h."
    )
    spent = CreditLimitExceeded("north:bob would go to -90 minutes, below its credit limit of -0")
    assert refused(spent, ask).errors["receiver"].endswith("and it may not go below zero.")


def test_an_unknown_or_closed_account_is_named_on_its_own_field() -> None:
    ask = ExchangeRequest("north:ann", "south:zed", 30)
    form = refused(UnknownAccount("no account 'south:zed'"), ask)
    assert form.errors == {"receiver": "There is no account south:zed. Check the ref."}
    form = refused(AccountClosed("account north:ann is closed"), ask)
    assert list(form.errors) == ["giver"]


def test_a_group_session_names_the_receivers_line() -> None:
    asks = [ExchangeRequest("north:lead", f"north:{ref}", 60) for ref in ("ann", "bob", "cy")]
    error = CreditLimitExceeded("north:cy would go to -660 minutes, below its credit limit of -600")
    error.extra["index"] = 2
    form = refused(error, *asks, group=True)
    assert form.errors["receivers"] == (
        "Line 3: cy has too little time: this would take its balance to \u221211 h,"
        " and it may not go below \u221210 h."
    )


def test_the_record_form_checks_every_field_before_asking_the_ledger() -> None:
    form = Form(
        {
            "giver": "ann",
            "receiver": "bad ref!",
            "hours": "25",
            "service_date": "2025-06-16",
            "category": "Garden work",
            "note": "x" * 501,
        }
    )
    assert forms.exchange(form, "north", TODAY) is None
    assert set(form.errors) == {"receiver", "time", "service_date", "category", "note"}
    assert "cannot be in the future" in form.errors["service_date"]


def test_the_record_form_makes_the_request_the_api_would() -> None:
    values = {"giver": "ann", "receiver": "south:zed", "hours": "1", "minutes": "15"}
    form = Form(values | {"service_date": "2025-06-01", "category": "Lifts", "note": " ok "})
    assert forms.exchange(form, "north", TODAY) == ExchangeRequest(
        "north:ann", "south:zed", 75, date(2025, 6, 1), "lifts", "ok"
    )


def test_a_group_session_lists_each_receiver_once_and_never_the_giver() -> None:
    form = Form({"giver": "lead", "receivers": "ann, bob\nann lead", "minutes": "45"})
    assert forms.group_session(form, "north", TODAY) is None
    assert "Listed more than once: ann." in form.errors["receivers"]
    form = Form({"giver": "lead", "receivers": "ann,\n bob", "minutes": "45"})
    made = forms.group_session(form, "north", TODAY)
    assert made is not None
    assert [(r.receiver, r.minutes) for r in made] == [("north:ann", 45), ("north:bob", 45)]
