"""Aggregate and event base classes with readable string ids.

eventsourcing's own `Aggregate` insists on UUIDs. Ledger streams are named instead
(`account:timebank-a:m-17`), which keeps the audit log readable without look-ups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CanMutateAggregate,
    CanSnapshotAggregate,
    MetaDomainEvent,
    datetime_now_with_tzinfo,
)

# What stamps a new event. The domain names no clock of its own: `ledger.ports` points this at
# the service's clock, so a simulation that replaces that clock dates the events too.
_event_clock: Callable[[], datetime] = datetime_now_with_tzinfo


def stamp_events_with(clock: Callable[[], datetime]) -> None:
    global _event_clock
    _event_clock = clock


def _stamp() -> datetime:
    return _event_clock()


@dataclass(frozen=True)
class LedgerEvent(CanMutateAggregate[str], metaclass=MetaDomainEvent):
    originator_id: str
    originator_version: int
    timestamp: datetime

    create_timestamp = staticmethod(_stamp)


@dataclass(frozen=True)
class LedgerCreated(CanInitAggregate[str], LedgerEvent):
    originator_topic: str


@dataclass(frozen=True)
class LedgerSnapshot(CanSnapshotAggregate[str], metaclass=MetaDomainEvent):
    originator_id: str
    originator_version: int
    timestamp: datetime
    topic: str
    state: dict[str, Any]

    create_timestamp = staticmethod(_stamp)


class LedgerAggregate(BaseAggregate[str]):
    class Event(LedgerEvent):
        pass

    class Created(Event, LedgerCreated):
        pass

    Snapshot = LedgerSnapshot
