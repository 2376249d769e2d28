"""The ports through which the clock, new ids and chance reach the ledger, the writer and the
projections: the one module allowed to read the clock, call `uuid4` or use `random`
(pyproject.toml's banned-api rule keeps it so), and so the one place a deterministic
simulation replaces (`install`) to drive the whole service from a seed.

Left out on purpose, each for a reason:
- `secrets` and `os.urandom` (access keys, session ids, webhook secrets, nonces): they must
  be unpredictable; a simulation that needs them fixed replaces the callers, not the source.
- `time.monotonic` for timeouts and durations (waiting for a position, a lock, a replay's
  timing): it paces waits and never becomes a recorded fact.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial

from domain.base import stamp_events_with


@dataclass
class Ports:
    clock: Callable[[], datetime] = field(default=partial(datetime.now, UTC))  # no frame of ours
    wall_seconds: Callable[[], float] = field(default=time.time)  # seconds since the epoch
    new_uuid: Callable[[], uuid.UUID] = field(default=uuid.uuid4)
    chance: random.Random = field(default_factory=random.Random)


_current = Ports()


def install(ports: Ports) -> Ports:
    """Use `ports` from now on; returns the ones it replaces (to put back after a test)."""
    global _current
    previous, _current = _current, ports
    return previous


def utc_now() -> datetime:
    return _current.clock()


stamp_events_with(utc_now)  # every recorded event is dated by the installed clock


def utc_today() -> date:
    return _current.clock().date()


def wall_seconds() -> float:
    return _current.wall_seconds()


def new_uuid() -> uuid.UUID:
    return _current.new_uuid()


def jitter(low: float, high: float) -> float:
    """A random pause length: back-off after a conflict, so busy processes stop colliding."""
    return _current.chance.uniform(low, high)
