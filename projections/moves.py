"""What a page of exchange events does: the exchanges it touches and the balances it moves.

Balances move on the exchange's own events (recorded completed, confirmed, reversed), which
carry or lead to every fact a view needs: giver, receiver, minutes, service date, category.
The accounts' Earned/Spent events say the same thing with less detail, and within a save
they come *before* the exchange's event, so a page boundary can fall between the two;
following the exchange events alone keeps every view whole at every page boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from domain.exchange import exchange_id_in
from domain.rules import organisation_of
from projections.events import LogEvent
from projections.lookups import Lookups

Row = dict[str, Any]

RECORDED = "Exchange.Recorded"
EXCHANGE_TYPES = frozenset(
    {RECORDED, "Exchange.Confirmed", "Exchange.Rejected", "Exchange.Expired", "Exchange.Reversed"}
)
# An exchange's status after each of its events but the first (whose status it carries): one
# table for the live views, the change feed and the spreadsheets.
EXCHANGE_STATUS_AFTER = {
    "Exchange.Confirmed": "completed",
    "Exchange.Rejected": "rejected",
    "Exchange.Expired": "expired",
    "Exchange.Reversed": "reversed",
}


class Move(NamedTuple):
    """Balances moving for one exchange: sign +1 when it completes, -1 when it is reversed.

    A named tuple: a replay makes one per balance move, and a tuple is the cheapest to make.
    """

    exchange: Row
    sign: int
    position: int
    recorded_at: str
    minutes: int  # the exchange's minutes, times the sign

    @classmethod
    def of(cls, exchange: Row, sign: int, position: int, recorded_at: str) -> Move:
        return cls(exchange, sign, position, recorded_at, int(exchange["minutes"]) * sign)

    @property
    def kind(self) -> str:
        return "exchange" if self.sign > 0 else "reversal"


@dataclass
class PreparedPage:
    """One page of events, with the exchanges it touches as they stand after it."""

    events: Sequence[LogEvent]
    exchanges: dict[str, Row] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    recorded: set[str] = field(default_factory=set)  # exchanges new in this page

    accounts: dict[str, Row] = field(default_factory=dict)  # set by the balances
    # Each account event's account as it stood just after it, by position (the balances):
    # `accounts` stands after the whole page, and a later event may change it again.
    account_states: dict[int, Row] = field(default_factory=dict)
    gift_moves: list[Any] = field(default_factory=list)  # set by projections.gifts
    account_months: dict[str, Any] = field(default_factory=dict)  # set by the participation
    pair_months: dict[str, Any] = field(default_factory=dict)  # set by projections.periods

    @classmethod
    def read(cls, lookups: Lookups, events: Sequence[LogEvent]) -> PreparedPage:
        page = cls(events)
        page.exchanges = _known_exchanges(lookups, events)
        for event in events:
            if event.type == RECORDED:
                page._recorded(event)
            elif event.type in EXCHANGE_STATUS_AFTER:
                page._changed(event)
        return page

    def _recorded(self, event: LogEvent) -> None:
        data = event.data
        row: Row = {
            **data,
            "id": exchange_id(event),
            "position": event.position,
            "giver_org": organisation_of(data["giver"]),
            "receiver_org": organisation_of(data["receiver"]),
            "recorded_at": event.recorded_at,
            "recorded_by_key": data.get("recorded_by_key"),
            "updated_position": event.position,
        }
        self.exchanges[row["id"]] = row
        self.recorded.add(row["id"])
        if row["status"] == "completed":
            self.moves.append(Move.of(row, 1, event.position, event.recorded_at))

    def _changed(self, event: LogEvent) -> None:
        row = self.exchanges[exchange_id(event)]
        row["status"] = EXCHANGE_STATUS_AFTER[event.type]
        row["updated_position"] = event.position
        if event.type == "Exchange.Confirmed":
            self.moves.append(Move.of(row, 1, event.position, event.recorded_at))
        elif event.type == "Exchange.Reversed":
            self.moves.append(Move.of(row, -1, event.position, event.recorded_at))


def exchange_id(event: LogEvent) -> str:
    return exchange_id_in(event.stream)


def _known_exchanges(lookups: Lookups, events: Sequence[LogEvent]) -> dict[str, Row]:
    """The stored rows of exchanges this page changes but did not record: one query."""
    recorded_here = {exchange_id(e) for e in events if e.type == RECORDED}
    wanted = {exchange_id(e) for e in events if e.type in EXCHANGE_STATUS_AFTER}
    return lookups.exchanges(sorted(wanted - recorded_here))
