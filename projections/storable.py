"""Text as the views can store it, whatever an event holds.

The ledger refuses control characters and lone surrogates in free text (`domain.rules`), but
a log written before that rule, or by other means, may hold them: Postgres TEXT cannot hold
a NUL, UTF-8 cannot encode a lone surrogate, and either would stop the views at that event
for good (the event is immutable). So the views store each such character written out as
`\\uXXXX`; the log itself, and the audit chain that hashes it, keep the event as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from domain.rules import NOT_PRINTABLE
from projections.events import LogEvent


def storable_text(text: str) -> str:
    """`text` with every character the ledger refuses written out as `\\uXXXX`."""
    return NOT_PRINTABLE.sub(_written_out, text)


def storable_events(events: Sequence[LogEvent]) -> Sequence[LogEvent]:
    """The events as the views may store them: nearly always the very same events."""
    if all(map(_storable, events)):
        return events
    return [event if _storable(event) else _escaped(event) for event in events]


def _storable(event: LogEvent) -> bool:
    """One C-speed test over the event's text, nearly always enough: this runs for every
    event of a replay."""
    texts = [event.stream]
    for value in event.data.values():
        if type(value) is str:
            texts.append(value)
        elif isinstance(value, (dict, list)):
            return False  # no view's events hold nested values today; the slow path does
    text = "".join(texts)
    return text.isprintable() or NOT_PRINTABLE.search(text) is None


def _escaped(event: LogEvent) -> LogEvent:
    return replace(event, stream=storable_text(event.stream), data=_escape_value(event.data))


def _escape_value(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(str(k)): _escape_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_value(v) for v in value]
    return value


def _written_out(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"
