"""The balance fold the read models, the offline replay and the spreadsheets share moves an
account exactly as the Account aggregate's own events do."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.account import Account
from projections.balance_moves import move_by_event

METHODS = {
    "Account.Earned": "earn",
    "Account.Spent": "spend",
    "Account.EarningReversed": "reverse_earning",
    "Account.SpendingReversed": "reverse_spending",
}


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(METHODS)), st.integers(1, 1440)), max_size=20))
def test_the_shared_fold_moves_an_account_as_its_events_do(moves: list[tuple[str, int]]) -> None:
    account = Account("account:north:ann", "north", "ann", "person", 10**9, None)
    folded = {"balance": 0, "given": 0, "received": 0}
    for event_type, minutes in moves:
        getattr(account, METHODS[event_type])("x1", minutes)
        assert move_by_event(folded, event_type, minutes)
    assert folded == {
        "balance": account.balance,
        "given": account.given,
        "received": account.received,
    }


def test_events_that_move_no_balance_move_nothing() -> None:
    folded = {"balance": 0, "given": 0, "received": 0}
    assert not move_by_event(folded, "Account.LimitsChanged", 60)
    assert folded == {"balance": 0, "given": 0, "received": 0}
