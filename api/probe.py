"""Positions read for /readyz and /metrics, with a bounded wait.

While the database is away, the driver may retry for most of a minute before it gives up.
A probe asks in a daemon thread of its own and waits at most `timeout` seconds, so a health
check answers 503 quickly instead of hanging; a probe still in flight is joined, not doubled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple

from api.problems import Unavailable
from projections.faults import Fault


class Positions(NamedTuple):
    head: int
    """The position of the last event recorded."""
    read: int | None
    """The position the read models have processed; None when they are not running."""
    stuck: tuple[Fault, ...] = ()
    """Projections that cannot get past an event."""


class Stall:
    """Whether the read models have stopped advancing: behind the log, and at the same
    position for `patience` seconds (a dead or wedged projection worker, in any process)."""

    def __init__(self, patience: float, clock: Callable[[], float]) -> None:
        self.patience = patience
        self.clock = clock
        self._since: tuple[int, float] | None = None  # (position, first seen behind there)

    def seconds(self, positions: Positions) -> float:
        """How long the read models have stood still behind the log (0 when they have not)."""
        if positions.read is None or positions.read >= positions.head:
            self._since = None
            return 0.0
        now = self.clock()
        if self._since is None or self._since[0] != positions.read:
            self._since = (positions.read, now)
        return now - self._since[1]

    def stalled(self, positions: Positions) -> bool:
        return self.seconds(positions) >= self.patience


class _Attempt:
    def __init__(self, read: Callable[[], Positions]) -> None:
        self.done = threading.Event()
        self.value: Positions | None = None
        self.error: BaseException | None = None
        threading.Thread(target=self._run, args=(read,), name="probe", daemon=True).start()

    def _run(self, read: Callable[[], Positions]) -> None:
        try:
            self.value = read()
        except BaseException as error:  # handed to the caller, who maps it
            self.error = error
        finally:
            self.done.set()


class Probe:
    def __init__(self, read: Callable[[], Positions], timeout: float = 2.0) -> None:
        self.read = read
        self.timeout = timeout
        self._lock = threading.Lock()
        self._attempt: _Attempt | None = None

    def positions(self) -> Positions:
        """(head of the event log, position of the read models or None)."""
        with self._lock:
            if self._attempt is None or self._attempt.done.is_set():
                self._attempt = _Attempt(self.read)
            attempt = self._attempt
        if not attempt.done.wait(self.timeout):
            raise Unavailable(f"the database did not answer within {self.timeout:g} s")
        if attempt.error is not None:
            raise attempt.error
        assert attempt.value is not None
        return attempt.value
