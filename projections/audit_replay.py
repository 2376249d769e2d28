"""Balances replayed from the audit log alone, as they stood at a position or a date.

Only account events move balances (an exchange's own events say what was agreed; its
accounts' events say what moved), so the fold reads nothing else and needs no look-ups.

Two meanings of "as of a date", both needed: `as_of` is what the ledger said then (events
recorded by the end of that UTC day: an auditor's question), `service_date_to` counts the
exchanges whose service date is on or before it, whenever they were recorded (a broker's
question after a migration, whose whole history is recorded on the day of the import).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.account import account_id_in, is_account_stream
from domain.exchange import exchange_id_in, is_exchange_stream
from domain.gift import gift_stream, is_gift_stream
from projections.balance_moves import balance_change


class PositionPastTheEnd(ValueError):
    """A replay to a position the export does not reach would silently answer its end."""


def end_of_day(day: date) -> datetime:
    """`as_of=DATE` means the end of that UTC day: before midnight of the next."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def replay_balances(
    events: Iterable[dict[str, Any]],
    *,
    position: int | None = None,
    as_of: date | None = None,
    service_date_to: date | None = None,
) -> dict[str, int]:
    """Every account opened by then, with its balance in minutes, from audit events in
    position order. `position` keeps events up to it; `as_of` those recorded by the end of
    that UTC day; `service_date_to` the moves of exchanges with a service date up to it."""
    cutoff = end_of_day(as_of) if as_of is not None else None
    fold = _Fold(service_date_to.isoformat() if service_date_to is not None else None)
    last = 0
    for event in events:
        if position is not None and int(event["position"]) > position:
            return fold.balances
        last = int(event["position"])
        if cutoff is None or datetime.fromisoformat(str(event["recorded_at"])) < cutoff:
            fold.add(event)
    if position is not None and last < position:
        raise PositionPastTheEnd(f"the export ends at position {last}, before {position}")
    return fold.balances


def _moved_by(data: dict[str, Any]) -> str:
    """What an account's move belongs to: its exchange's id, or its gift's stream."""
    if "gift_id" in data:
        return gift_stream(str(data["gift_id"]))
    return str(data.get("exchange_id", ""))


class _Fold:
    """An account's moves name their exchange (or gift); its service date (a gift's day) is
    in the exchange's own `Recorded` event (`Gift.Made`), saved in the same transaction just
    after them, so a move waits for it."""

    def __init__(self, last_service_date: str | None) -> None:
        self.last_service_date = last_service_date
        self.balances: dict[str, int] = {}
        self.counted: dict[str, bool] = {}
        self.waiting: dict[str, list[tuple[str, int]]] = {}

    def add(self, event: dict[str, Any]) -> None:
        stream, kind = str(event["stream"]), str(event["type"])
        if is_exchange_stream(stream) and kind == "Exchange.Recorded":
            self._dated(exchange_id_in(stream), str(event["data"]["service_date"]))
        if is_gift_stream(stream) and kind == "Gift.Made":  # a gift counts by its day
            self._dated(stream, str(event["data"]["day"]))
        if not is_account_stream(stream):
            return
        account = account_id_in(stream)
        self.balances.setdefault(account, 0)
        minutes = balance_change(kind, int(event["data"].get("minutes", 0)))
        exchange = _moved_by(event["data"])
        if not minutes or self.last_service_date is None or self.counted.get(exchange, False):
            self.balances[account] += minutes
        elif exchange not in self.counted:
            self.waiting.setdefault(exchange, []).append((account, minutes))

    def _dated(self, exchange: str, service_date: str) -> None:
        if self.last_service_date is None:
            return
        counted = self.counted[exchange] = service_date <= self.last_service_date
        for account, minutes in self.waiting.pop(exchange, []):
            if counted:
                self.balances[account] += minutes
