"""The one retry loop every command runs in, and the note of what a command loaded.

Aggregates are used in place from the cache (ledger/base.py). A conflict with another
process (IntegrityError on a version number) means some cached copy was stale: exactly the
streams the command loaded are evicted, and the command runs again on fresh copies. A
refusal (a LedgerError) may also rest on a stale copy, so it is judged once more on fresh
state before it is given as the answer.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from eventsourcing.persistence import IntegrityError

from domain.errors import Conflict, LedgerError
from ledger.ports import jitter

T = TypeVar("T")
MAX_ATTEMPTS = 60


def back_off(attempt: int) -> None:
    """Random, growing pauses after a conflict, so two busy processes stop colliding."""
    time.sleep(jitter(0, min(0.05, 0.001 * 2 ** min(attempt, 6))))


class LoadedStreams:
    """The aggregate cache, and which streams the current thread's command loaded from it."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache
        self._local = threading.local()

    def touched(self) -> set[str]:
        touched: set[str] | None = getattr(self._local, "touched", None)
        if touched is None:
            touched = self._local.touched = set()
        return touched

    def evict(self, streams: set[str]) -> None:
        if self._cache is None:
            return
        for stream in streams:
            with contextlib.suppress(KeyError):
                self._cache.get(stream, evict=True)


ConflictListener = Callable[[int], None]
"""Told of each conflict with another process, with the number of writes it sends round again."""


def until_committed(
    command: Callable[[], T],
    loaded: LoadedStreams,
    listeners: Sequence[ConflictListener] = (),
    writes: int = 1,
) -> T:
    """Run `command` until it commits without a conflict, or give up with `Conflict`.
    `writes`: how many writes (exchanges, say) the command holds, for `listeners`."""
    refreshed = False
    for attempt in range(MAX_ATTEMPTS):
        loaded.touched().clear()
        try:
            return command()
        except IntegrityError:
            loaded.evict(loaded.touched())
            for listener in listeners:
                listener(writes)
            back_off(attempt)
        except LedgerError:
            # Aggregates are changed in place: a refused command may have changed some.
            loaded.evict(loaded.touched())
            # A refusal may also rest on a cached copy that another process has since
            # changed: judge once more on fresh state before saying no.
            if refreshed or not loaded.touched():
                raise
            refreshed = True
        except BaseException:
            loaded.evict(loaded.touched())
            raise
    raise Conflict("too many concurrent changes to the same records; try again")
