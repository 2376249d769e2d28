"""How a balance moves: the one definition the live views (projections/balances.py), the
offline replay (projections/audit_replay.py) and the spreadsheets (projections/spreadsheets.py)
fold with, as the Account aggregate's own events apply it (domain/account.py).

The giver of an exchange earns: balance and given rise. The receiver spends: balance falls
and received rises. A reversal is the same move with the minutes negated. A gift passes
credits on: the balances move, `given` and `received` do not (it is no time given).
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
# A gift's account event -> +1 when it raises the balance, -1 when it lowers it.
GIFT_MOVES: dict[str, int] = {
    "Account.GiftSent": -1,
    "Account.GiftReceived": 1,
    "Account.GiftSentReversed": 1,
    "Account.GiftReceivedReversed": -1,
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


def move_gift(account: dict[str, Any], minutes: int) -> None:
    """One side of a gift: the balance moves by `minutes` (negative for the giver, or for
    the recipient's side of a reversal); time given and received stay as they were."""
    account["balance"] += minutes


def move_by_event(account: dict[str, Any], event_type: str, minutes: int) -> bool:
    """An account event's move applied to `account`; False (nothing moved) for any other."""
    found = ACCOUNT_MOVES.get(event_type)
    if found is not None:
        gave, sign = found
        move(account, gave, sign * minutes)
        return True
    if event_type in GIFT_MOVES:
        move_gift(account, GIFT_MOVES[event_type] * minutes)
        return True
    return False


def balance_change(event_type: str, minutes: int) -> int:
    """How far an account event moves the balance (0 for an event that moves none)."""
    found = ACCOUNT_MOVES.get(event_type)
    if found is None:
        return GIFT_MOVES.get(event_type, 0) * minutes
    gave, sign = found
    return sign * minutes if gave else -sign * minutes
