"""The accounts CSV, byte for byte: a reversal, a gift, changed limits, a closed account,
accounts over their limit and a ref a spreadsheet would read as a formula, whatever the
size of the pages it is read in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import api.web.routes_accounts as routes
from ledger import ExchangeRequest, GiftRequest, Ledger, parse_database_url
from tests.integration.web_support import ORG, Pages, pages_of
from tests.unit.support import Clock

EXPECTED = (
    "account,ref,kind,status,balance,balance_hours,given,received,credit_limit,max_balance,"
    "over_limit,only_gives,only_receives,last_activity\r\n"
    "north:-cy,'-cy,person,open,-90,-1.5,0,90,600,,no,no,yes,2024-07-01\r\n"
    "north:ann,ann,person,open,120,2.0,120,0,600,,no,yes,no,2024-07-01\r\n"
    "north:bob,bob,person,open,-120,-2.0,0,120,60,,yes,no,yes,2024-07-01\r\n"
    "north:dee,dee,person,open,0,0.0,0,0,600,,no,no,no,\r\n"
    "north:eve,eve,person,closed,45,0.75,0,0,600,,no,no,no,\r\n"
    "north:hall,hall,organisation,open,45,0.75,90,0,0,40,yes,yes,no,2024-07-01\r\n"
)


@pytest.fixture
def pages() -> Iterator[Pages]:
    """ann gave bob 2 h; bob's 30 min back to ann was reversed; the hall gave -cy 1.5 h and
    45 min of its credits to eve, who then closed; bob's floor and the hall's cap were then
    moved past their balances."""
    clock = Clock()
    ledger = Ledger(parse_database_url("memory://"), clock=clock)
    try:
        ledger.register_organisation(ORG, "North")
        for ref in ("ann", "bob", "-cy", "dee", "eve"):
            ledger.open_account(ORG, ref)
        ledger.open_account(ORG, "hall", kind="organisation", credit_limit=0, max_balance=100)
        broker = ledger.issue_key("broker", ORG).key
        ledger.record_exchange(ORG, ExchangeRequest("north:ann", "north:bob", 120))
        clock.advance(30)
        back = ledger.record_exchange(ORG, ExchangeRequest("north:bob", "north:ann", 30))
        ledger.reverse_exchange(back.id, ORG, "entered twice")
        ledger.record_exchange(ORG, ExchangeRequest("north:hall", "north:-cy", 90))
        ledger.make_gift(ORG, GiftRequest("north:hall", "north:eve", 45))
        ledger.change_limits("north:bob", ORG, credit_limit=60)
        ledger.change_limits("north:hall", ORG, max_balance=40)
        ledger.close_account("north:eve", ORG)
        with pages_of(ledger, broker=broker) as found:
            found.sign_in()
            yield found
    finally:
        ledger.close()


@pytest.mark.parametrize("page", [1, 2, 6, routes.EXPORT_PAGE])
def test_the_accounts_csv_reads_the_same_in_pages_of_any_size(
    pages: Pages, page: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "EXPORT_PAGE", page)
    answer = pages.client.get(f"/app/o/{ORG}/accounts.csv")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="north-accounts.csv"'
    assert answer.content == EXPECTED.encode()
