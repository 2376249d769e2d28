"""Events as the log presents them: the audit shape that projections, export and replay share.

Decoding the stored JSON straight into this flat record, rather than through eventsourcing's
mapper into domain-event objects, is several times faster; replay speed depends on it. And
because an export holds exactly these records, an auditor's offline replay runs the very same
projection code as the live service.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import orjson
from eventsourcing.persistence import ApplicationRecorder, Notification

from ledger.recorder import StoredRow
from projections.log_rows import page_rows

EVENT_ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:timebank-ledger:event")
_NAMESPACE = EVENT_ID_NAMESPACE.bytes


@dataclass(frozen=True, slots=True)
class LogEvent:
    position: int
    stream: str
    version: int
    type: str  # e.g. "Exchange.Recorded"
    recorded_at: str  # ISO 8601, UTC
    data: dict[str, Any]

    @property
    def id(self) -> str:
        """A stable event id that anyone can recompute from stream and version:
        `uuid5(EVENT_ID_NAMESPACE, "{stream}@{version}")`."""
        return _uuid5(f"{self.stream}@{self.version}")

    def as_audit(self) -> dict[str, Any]:
        """The contract's audit event shape, without the chain hash."""
        return {
            "position": self.position,
            "id": self.id,
            "stream": self.stream,
            "version": self.version,
            "type": self.type,
            "recorded_at": self.recorded_at,
            "data": self.data,
        }


def _uuid5(name: str) -> str:
    """`str(uuid5(EVENT_ID_NAMESPACE, name))` (RFC 4122), three times faster: every event
    of a replay or an export needs one."""
    digest = bytearray(hashlib.sha1(_NAMESPACE + name.encode()).digest()[:16])  # noqa: S324
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def event_type(topic: str) -> str:
    """`domain.exchange:Exchange.Recorded` -> `Exchange.Recorded`."""
    return topic.rpartition(":")[2]


def decode(notification: Notification) -> LogEvent:
    return _decode(
        notification.id,
        str(notification.originator_id),
        notification.originator_version,
        event_type(notification.topic),
        notification.state,
    )


def _decode(position: int, stream: str, version: int, type_: str, state: Any) -> LogEvent:
    data, recorded_at = _data(state)
    return LogEvent(position, stream, version, type_, recorded_at, data)


def _data(state: Any) -> tuple[dict[str, Any], str]:
    """An event's data and `recorded_at`, from its stored JSON state."""
    data = orjson.loads(state)
    timestamp = data.pop("timestamp")
    data.pop("originator_topic", None)
    recorded_at = timestamp["_data_"] if isinstance(timestamp, dict) else str(timestamp)
    return data, _utc_iso(recorded_at)


def audit_row(row: StoredRow) -> dict[str, Any]:
    """`decode(...).as_audit()` of one stored row, without the `LogEvent` in between: the
    audit chain of a rebuild hashes every event of the log, and wants nothing else of it."""
    position, stream, version, topic, state = row
    data, recorded_at = _data(state)
    return {
        "position": position,
        "id": _uuid5(f"{stream}@{version}"),
        "stream": stream,
        "version": version,
        "type": event_type(topic),
        "recorded_at": recorded_at,
        "data": data,
    }


def _utc_iso(value: str) -> str:
    # eventsourcing writes "+00:00"; the contract promises UTC, spelled the common way.
    return value[:-6] + "Z" if value.endswith("+00:00") else value


@dataclass(frozen=True, slots=True)
class LogPage:
    """Events read after a position: `last` is the position of the last one read, kept or not,
    so that a projection interested in few types still advances past the rest."""

    events: list[LogEvent]
    last: int
    read: int = 0  # how many events were read, kept or not


def read_log(recorder: ApplicationRecorder, after: int, limit: int) -> list[LogEvent]:
    """Events with positions greater than `after`, oldest first, at most `limit`."""
    return read_page(recorder, after, limit).events


def read_page(
    recorder: ApplicationRecorder,
    after: int,
    limit: int,
    types: frozenset[str] | None = None,
) -> LogPage:
    """Like `read_log`, decoding only events of the given types (all when None).

    Reads the stored rows directly, as plain tuples: replay speed depends on it, and
    skipping the JSON of events a projection ignores roughly halves the decoding.
    """
    rows, last, read = page_rows(recorder, after, limit, types)
    events = []
    for position, stream, version, topic, state in rows:
        type_ = event_type(topic)
        if types is None or type_ in types:
            events.append(_decode(position, stream, version, type_, state))
    return LogPage(events, last, read)
