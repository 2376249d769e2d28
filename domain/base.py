"""Aggregate and event base classes with readable string ids.

eventsourcing's own `Aggregate` insists on UUIDs. Ledger streams are named instead
(`account:timebank-a:m-17`), which keeps the audit log readable without look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CanMutateAggregate,
    CanSnapshotAggregate,
    MetaDomainEvent,
)


@dataclass(frozen=True)
class LedgerEvent(CanMutateAggregate[str], metaclass=MetaDomainEvent):
    originator_id: str
    originator_version: int
    timestamp: datetime


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


class LedgerAggregate(BaseAggregate[str]):
    class Event(LedgerEvent):
        pass

    class Created(Event, LedgerCreated):
        pass

    Snapshot = LedgerSnapshot
