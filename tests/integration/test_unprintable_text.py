"""Free text the database cannot hold: refused on every entry path, and an event that holds
it already (an older ledger) never stops the read models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from domain.errors import InvalidRequest
from ledger import ExchangeRequest
from tests.integration.text_support import ORG, Site, import_csv, site_on

NUL_NOTE = "before\x00after"


@pytest.fixture(params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    with site_on(str(request.getfixturevalue(f"{request.param}_url"))) as made:
        yield made


def test_a_nul_in_a_posted_note_is_refused_and_the_read_models_stay_at_the_head(
    site: Site,
) -> None:
    before = site.head()
    body = {"giver": f"{ORG}:m-1", "receiver": f"{ORG}:m-2", "minutes": 30, "note": NUL_NOTE}
    answer = site.api("POST", "/v1/exchanges", json=body)
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_request"
    assert site.head() == before
    assert site.caught_up()


def test_a_nul_in_the_web_record_forms_note_is_refused_next_to_the_note(site: Site) -> None:
    before = site.head()
    answer = site.record_form(NUL_NOTE)
    assert answer.status_code == 422
    assert "U+0000" in answer.text
    assert site.head() == before
    assert site.caught_up()


def test_a_nul_in_an_imported_note_is_refused_naming_its_line(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = site.head()
    status, errors = import_csv(site, tmp_path, monkeypatch, NUL_NOTE)
    assert status != 0
    assert "exchanges.csv:2: note: " in errors
    assert "U+0000 at character 7 is a control character" in errors
    assert site.head() == before
    assert site.caught_up()


def test_reasons_names_and_key_labels_refuse_control_characters_whoever_calls(
    site: Site,
) -> None:
    recorded = site.ledger.record_exchange(ORG, ExchangeRequest(f"{ORG}:m-1", f"{ORG}:m-2", 30))
    before = site.head()
    refusals: dict[str, Callable[[], object]] = {
        "reason": lambda: site.ledger.reverse_exchange(recorded.id, ORG, "\x1b[2Jgone"),
        "name": lambda: site.ledger.register_organisation("eastfield", "East\x00field"),
        "label": lambda: site.ledger.issue_key("broker", ORG, label="desk \ud800"),
    }
    for field, attempt in refusals.items():
        with pytest.raises(InvalidRequest) as refused:
            attempt()
        assert refused.value.extra["field"] == field
    assert site.head() == before
    assert site.caught_up()


def test_an_event_that_already_holds_a_nul_is_stored_escaped_and_the_views_reach_the_head(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a ledger written before the rule holds it: the event itself is immutable."""
    with monkeypatch.context() as old_release:
        old_release.setattr("domain.exchange.check_note", lambda note: note)
        old_release.setattr("ledger.accounts.check_name", lambda name: name)
        # and before notes were sealed: the note is in the event as it was sent
        old_release.setattr(site.ledger.texts, "seal", lambda text, *where: text)
        site.ledger.register_organisation("northgate", "North\x00gate")
        body = {"giver": f"{ORG}:m-1", "receiver": f"{ORG}:m-2", "minutes": 45}
        answer = site.api("POST", "/v1/exchanges", json={**body, "note": "fine"})
        assert answer.status_code == 201
        record = site.ledger.record_exchange(
            ORG, ExchangeRequest(f"{ORG}:m-1", f"{ORG}:m-2", 30, note="a\x00b\x1b[31m")
        )
    assert site.caught_up()
    shown = site.api("GET", f"/v1/exchanges/{record.id}").json()
    assert shown["note"] == "a\\u0000b\\u001b[31m"
    assert site.api("GET", f"/v1/accounts/{ORG}:m-2").json()["balance"] == -75
    organisation = site.projections.read_models.organisation("northgate")
    assert organisation is not None
    assert organisation["name"] == "North\\u0000gate"
    assert site.api("GET", "/readyz").status_code == 200
