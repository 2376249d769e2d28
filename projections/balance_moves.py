"""How a balance moves: the one definition the live views (projections/balances.py), the
offline replay (projections/audit_replay.py) and the spreadsheets (projections/spreadsheets.py)
fold with, as the Account aggregate's own events apply it (domain/account.py).

The giver of an exchange earns: balance and given rise. The receiver spends: balance falls
and received rises. A reversal is the same move with the minutes negated.
"""

from __future__ import annotations

from typing import Any

# An account's event -> whether the account gave (True) or received, and +1 when the
# exchange completes or -1 when it is reversed.
ACCOUNT_MOVES: dict[str, tuple[bool, int]] = {
    "Account.Earned": (True, 1),
    "Account.Spent": (False, 1),
    "Account.EarningReversed": (True, -1),
    "Account.SpendingReversed": (False, -1),
}


def move(account: dict[str, Any], gave: bool, minutes: int) -> None:
    """One side of an exchange moving `account`'s `balance`, `given` and `received` by
    `minutes` (negative for a reversal)."""
    if gave:
        account["balance"] += minutes
        account["given"] += minutes
    else:
        account["balance"] -= minutes
        account["received"] += minutes


def move_by_event(account: dict[str, Any], event_type: str, minutes: int) -> bool:
    """An account event's move applied to `account`; False (nothing moved) for any other."""
    found = ACCOUNT_MOVES.get(event_type)
    if found is None:
        return False
    gave, sign = found
    move(account, gave, sign * minutes)
    return True


def balance_change(event_type: str, minutes: int) -> int:
    """How far an account event moves the balance (0 for an event that moves none)."""
    found = ACCOUNT_MOVES.get(event_type)
    if found is None:
        return 0
    gave, sign = found
    return sign * minutes if gave else -sign * minutes
