"""Key checks for many concurrent requests in one read.

Every request's key is checked against the database, so a revocation counts at once in every
process. Requests arrive together under load: one thread takes every check waiting at the
moment it is free and answers them all with a single query. Each check's query starts after
its request arrived, so no check can miss a revocation committed before it; a hundred
requests a second with one broker key cost a few reads instead of a hundred, and no request
parks a worker thread while it waits.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import StoredEvent

MAX_CHECKS = 1000
ReadLast = Callable[[list[str]], dict[str, StoredEvent]]


@dataclass
class _Check:
    stream: str
    decide: Callable[[StoredEvent | None], Any]
    future: Future[Any] = field(default_factory=Future)


class KeyChecks:
    def __init__(self, read_last: ReadLast) -> None:
        """`read_last` answers the last event of each stream that has one."""
        self._read_last = read_last
        self._queue: queue.SimpleQueue[_Check | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False

    def submit(self, stream: str, decide: Callable[[StoredEvent | None], Any]) -> Future[Any]:
        """A future of `decide(last event of stream)`, read after this call."""
        if self._closed:
            raise RuntimeError("the ledger is closed")
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="key-checks", daemon=True)
                self._thread.start()
        check = _Check(stream, decide)
        self._queue.put(check)
        return check.future

    def close(self) -> None:
        self._closed = True
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while (first := self._queue.get()) is not None:
            checks = [first]
            while len(checks) < MAX_CHECKS:
                try:
                    check = self._queue.get_nowait()
                except queue.Empty:
                    break
                if check is None:
                    self._answer(checks)
                    return
                checks.append(check)
            self._answer(checks)

    def _answer(self, checks: list[_Check]) -> None:
        try:
            last = self._read_last(sorted({c.stream for c in checks}))
        except BaseException as error:  # every waiting request must hear of it
            for check in checks:
                check.future.set_exception(error)
            return
        for check in checks:
            try:
                check.future.set_result(check.decide(last.get(check.stream)))
            except BaseException as error:
                check.future.set_exception(error)
