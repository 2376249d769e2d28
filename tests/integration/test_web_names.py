"""Display names on the broker pages: the organisation's brokers see them and find accounts
by name through a POST; auditors see refs only; other organisations' brokers are refused."""

from __future__ import annotations

from ledger import ExchangeRequest, Ledger
from tests.integration.web_support import ORG, MakeLedger, Pages, pages_of, token_of

ACCOUNTS = f"/app/o/{ORG}/accounts"
BY_NAME = f"{ACCOUNTS}/by-name"


def named(ledger: Ledger) -> None:
    """Ann and Bob of North have names, and an exchange; South's Cy has a name too."""
    ledger.set_display_name(f"{ORG}:ann", ORG, "Annabel Quince")
    ledger.set_display_name(f"{ORG}:bob", ORG, "Robert Marsh")
    ledger.register_organisation("south", "South")
    ledger.open_account("south", "cy")
    ledger.set_display_name("south:cy", "south", "Cyril Quince")
    ledger.record_exchange(ORG, ExchangeRequest(f"{ORG}:ann", f"{ORG}:bob", 30))


def find(pages: Pages, name: str, page: str = ACCOUNTS) -> str:
    answer = pages.client.post(
        BY_NAME, data={"csrf_token": token_of(pages.client.get(page)), "name": name}
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def test_a_broker_sees_names_and_finds_an_account_by_name(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger()) as pages:
        named(pages.ledger)
        pages.sign_in()
        models = pages.client.app.state.read_models  # type: ignore[attr-defined]
        assert models.wait_for(pages.ledger.head_position(), timeout=30)
        listed = pages.client.get(ACCOUNTS).text
        assert "Annabel Quince" in listed
        assert "Robert Marsh" in listed
        assert f'action="{BY_NAME}"' in listed
        assert 'method="post"' in listed
        page = pages.client.get(f"/app/o/{ORG}/account?ref=ann").text
        assert "Known as <strong>Annabel Quince</strong>" in page
        assert "Robert Marsh" in page  # the statement's and partners' counterparty

        found = find(pages, "quince")
        assert f"/app/o/{ORG}/account?ref=ann" in found
        assert "Annabel Quince" in found
        assert "Robert Marsh" not in found
        assert "Cyril" not in found  # another organisation's directory is not searched
        assert "No account has a name containing" in find(pages, "Nobody")


def test_an_auditor_sees_refs_only_and_may_not_search_by_name(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger()) as pages:
        named(pages.ledger)
        pages.sign_in(pages.ledger.issue_key("auditor").key)
        listed = pages.client.get(ACCOUNTS)
        assert listed.status_code == 200
        page = pages.client.get(f"/app/o/{ORG}/account?ref=ann")
        assert "ann" in listed.text
        assert page.status_code == 200
        for text in (listed.text, page.text):
            assert "Annabel" not in text
            assert "Robert Marsh" not in text
            assert BY_NAME not in text
        refused = pages.client.post(
            BY_NAME, data={"csrf_token": token_of(listed), "name": "quince"}
        )
        assert refused.status_code == 403
        assert "Annabel" not in refused.text


def test_another_organisations_broker_may_not_search_by_name(make_ledger: MakeLedger) -> None:
    with pages_of(make_ledger()) as pages:
        named(pages.ledger)
        pages.sign_in(pages.ledger.issue_key("broker", "south").key)
        token = token_of(pages.client.get("/app/o/south/accounts"))
        refused = pages.client.post(BY_NAME, data={"csrf_token": token, "name": "quince"})
        assert refused.status_code == 403
        assert "Annabel" not in refused.text
        own = pages.client.post(
            "/app/o/south/accounts/by-name", data={"csrf_token": token, "name": "quince"}
        )
        assert "Cyril Quince" in own.text
        assert "Annabel" not in own.text
