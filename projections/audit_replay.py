"""Balances replayed from the audit log alone, as they stood at a position or a date.

Only account events move balances (an exchange's own events say what was agreed; its
accounts' events say what moved), so the fold reads nothing else and needs no look-ups.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

ACCOUNT_STREAM = "account:"
_SIGN = {
    "Account.Earned": 1,
    "Account.Spent": -1,
    "Account.EarningReversed": -1,
    "Account.SpendingReversed": 1,
    "Account.GiftSent": -1,
    "Account.GiftReceived": 1,
    "Account.GiftSentReversed": 1,
    "Account.GiftReceivedReversed": -1,
}


def end_of_day(day: date) -> datetime:
    """`as_of=DATE` means the end of that UTC day: before midnight of the next."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def replay_balances(
    events: Iterable[dict[str, Any]], *, position: int | None = None, as_of: date | None = None
) -> dict[str, int]:
    """Every account opened by then, with its balance in minutes, from audit events in
    position order. `position` keeps events up to it; `as_of` those recorded by the end of
    that UTC day."""
    cutoff = end_of_day(as_of) if as_of is not None else None
    balances: dict[str, int] = {}
    for event in events:
        if position is not None and int(event["position"]) > position:
            break
        stream = str(event["stream"])
        if not stream.startswith(ACCOUNT_STREAM):
            continue
        if cutoff is not None and datetime.fromisoformat(str(event["recorded_at"])) >= cutoff:
            continue
        account = stream.removeprefix(ACCOUNT_STREAM)
        sign = _SIGN.get(str(event["type"]), 0)
        balances[account] = balances.get(account, 0) + sign * int(event["data"].get("minutes", 0))
    return balances
