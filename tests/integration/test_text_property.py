"""Any text at all, through every entry path that takes free text (an exchange's note over the
API, in a batch, on the web form and in an import; a reversal's reason; a gift's note; a
display name): each accepts it or refuses it with a 4xx (never a crash), and the read models
always reach the head of the log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import ExchangeRequest
from tests.integration.text_support import ORG, Site, import_csv, site_on

EXAMPLES = 25
# Every code point, lone surrogates and control characters included, and text made mostly of
# the characters a database or a terminal may choke on.
ANY_CHARACTER = st.characters(exclude_categories=())
AWKWARD = st.sampled_from("\x00\x01\x08\x0b\x1b\x7f\x85\ud800\udfff\ufeff\n\r\t ,\"'a")
TEXT = st.text(st.one_of(ANY_CHARACTER, AWKWARD), max_size=60)


@pytest.fixture(params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    with site_on(url, credit_limit=10**8) as made, made.follow():
        yield made


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=TEXT)
def test_any_text_through_any_entry_path_leaves_the_read_models_at_the_head(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    exchange = {"giver": f"{ORG}:m-1", "receiver": f"{ORG}:m-2", "minutes": 5}
    posted = site.post_json("/v1/exchanges", {**exchange, "note": text})
    assert posted.status_code in (201, 422), posted.text
    completed = site.ledger.record_exchange(ORG, ExchangeRequest(f"{ORG}:m-2", f"{ORG}:m-1", 5))
    reversed_ = site.post_json(f"/v1/exchanges/{completed.id}/reverse", {"reason": text})
    assert reversed_.status_code in (200, 422), reversed_.text
    assert site.record_form(text).status_code in (303, 422)
    import_csv(site, tmp_path, monkeypatch, text)  # accepted, or refused line by line
    batch = site.post_json("/v1/exchanges/batch", {"exchanges": [{**exchange, "note": text}]})
    assert batch.status_code in (201, 422), batch.text
    site.ledger.record_exchange(ORG, ExchangeRequest(f"{ORG}:m-1", f"{ORG}:m-2", 5))  # to give
    gift = {"from": f"{ORG}:m-1", "to": f"{ORG}:m-2", "minutes": 1, "note": text}
    gave = site.post_json("/v1/gifts", gift)
    assert gave.status_code in (201, 422), gave.text
    if gave.status_code == 422:
        assert gave.json()["code"] == "invalid_request", gave.text  # the note, not the balance
    named = site.post_json(f"/v1/accounts/{ORG}:m-1/profile", {"display_name": text}, "PUT")
    assert named.status_code in (200, 422), named.text
    assert site.caught_up()
