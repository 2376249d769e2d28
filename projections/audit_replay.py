"""Balances replayed from the audit log alone, as they stood at a position or a date.

Only account events move balances (an exchange's own events say what was agreed; its
accounts' events say what moved), so the fold reads nothing else and needs no look-ups.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.account import account_id_in, is_account_stream
from projections.balance_moves import move_by_event


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
    accounts: dict[str, dict[str, int]] = {}
    for event in events:
        if position is not None and int(event["position"]) > position:
            break
        stream = str(event["stream"])
        if not is_account_stream(stream):
            continue
        if cutoff is not None and datetime.fromisoformat(str(event["recorded_at"])) >= cutoff:
            continue
        account = accounts.setdefault(
            account_id_in(stream), {"balance": 0, "given": 0, "received": 0}
        )
        move_by_event(account, str(event["type"]), int(event["data"].get("minutes", 0)))
    return {account_id: figures["balance"] for account_id, figures in accounts.items()}
