"""The in-memory event store (tests, `memory://`): eventsourcing's POPO recorder with the
ledger's reads, and the factory that makes it (eventsourcing's POPO factory takes no
recorder topic)."""

from __future__ import annotations

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from ledger.recorder import LedgerRecorder, StoredRow


class LedgerMemoryRecorder(POPOApplicationRecorder, LedgerRecorder):
    views_dialect = "memory"
    keeps_tables = False

    def position_of(self, stream: str, version: int) -> int:
        for notification in self.select_notifications(start=1, limit=10**9):
            if notification.originator_id == stream and notification.originator_version == version:
                return notification.id
        raise LookupError(f"no event {stream}@{version}")

    def last_events(self, streams: list[str]) -> dict[str, StoredEvent]:
        return self._last_events_one_by_one(streams)

    def stored_rows(self, after: int, limit: int) -> list[StoredRow]:
        notifications = self.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        return [
            (n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
            for n in notifications
        ]


class LedgerMemoryFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return LedgerMemoryRecorder()
