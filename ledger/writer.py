"""One writer at a time per process, committing concurrent exchanges together (group commit).

Commands run one at a time, by whoever holds the turn, so the aggregate cache has one owner:
aggregates are used in place instead of deep-copied on every read, and no two commands in a
process can race on an account. While one transaction commits, new requests queue up for the
writer thread; its next transaction takes all queued exchanges at once, so under load one
commit carries many exchanges, and with a single caller nothing waits for a timer.

A caller that finds the turn free and nobody queued runs its command itself, on its own
thread: a lone command (a script posting one exchange after another) then pays no hand-off
to another thread and back, which was a tenth of its cost.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_GROUP = 500


@dataclass
class Call:
    """Any command: runs alone, in its own transaction."""

    run: Callable[[], Any]
    future: Future[Any] = field(default_factory=Future)


class GroupRunner(Protocol):
    def run_group(self, jobs: list[Any]) -> list[Any]:
        """Outcomes in the same order as the jobs: a result, or the exception to raise."""


@dataclass
class Grouped:
    """A command that may share one transaction with others given to the same runner."""

    runner: GroupRunner
    job: Any
    future: Future[Any] = field(default_factory=Future)


class SingleWriter:
    """The one turn to write in this process: who holds it owns the aggregate cache."""

    def __init__(self, max_group: int = MAX_GROUP) -> None:
        self._max_group = max_group
        self._queue: queue.SimpleQueue[Call | Grouped | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._held: Call | Grouped | None = None
        self._closed = False
        self._turn = threading.Lock()
        self._wanted = False
        self._local = threading.local()

    def on_writer_thread(self) -> bool:
        """Whether this thread holds the turn (and with it, the cache)."""
        return bool(getattr(self._local, "holding", False))

    def call(self, run: Callable[[], Any]) -> Any:
        with self._here() as here:
            if here:
                return run()
        return self._submit(Call(run))

    def grouped(self, runner: GroupRunner, job: Any) -> Any:
        """`runner.run_group` for this job, alone or in a group with the jobs waiting."""
        with self._here() as here:
            if here:
                outcome = runner.run_group([job])[0]
                if isinstance(outcome, BaseException):
                    raise outcome
                return outcome
        return self._submit(Grouped(runner, job))

    def submit_grouped(self, runner: GroupRunner, job: Any) -> Future[Any]:
        """Queue a groupable command and return at once: an event loop awaits the future
        instead of parking a worker thread on it."""
        if self.on_writer_thread():
            raise RuntimeError("the writer thread cannot wait for itself")
        item = Grouped(runner, job)
        self._enqueue(item)
        return item.future

    def close(self) -> None:
        self._closed = True
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=10)

    @contextlib.contextmanager
    def _here(self) -> Iterator[bool]:
        """True when this thread may run a command now: it holds the turn already, or it
        takes the turn because nothing runs and nobody waits. A turn taken is given back."""
        if self.on_writer_thread():
            yield True
            return
        if self._closed:
            raise RuntimeError("the ledger is closed")
        if self._wanted or not self._queue.empty() or not self._turn.acquire(blocking=False):
            yield False  # others are waiting: queue up, and share their transaction
            return
        self._local.holding = True
        try:
            yield True
        finally:
            self._local.holding = False
            self._turn.release()

    def _submit(self, item: Call | Grouped) -> Any:
        self._enqueue(item)
        return item.future.result()

    def _enqueue(self, item: Call | Grouped) -> None:
        if self._closed:  # no thread would ever answer: fail now rather than wait forever
            raise RuntimeError("the ledger is closed")
        self._ensure_started()
        self._queue.put(item)

    def _ensure_started(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="ledger-writer", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._held if self._held is not None else self._queue.get()
            self._held = None
            if item is None:
                return
            self._wanted = True  # callers arriving now queue behind us instead of cutting in
            with self._turn:
                self._wanted = False
                self._local.holding = True
                try:
                    if isinstance(item, Call):
                        _settle(item.future, item.run)
                    else:
                        self._run_group(self._gather(item))
                finally:
                    self._local.holding = False

    def _gather(self, first: Grouped) -> list[Grouped]:
        """Everything for the same runner already waiting, in arrival order."""
        group = [first]
        while len(group) < self._max_group:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if not isinstance(item, Grouped) or item.runner is not first.runner:
                self._held = item
                break
            group.append(item)
        return group

    def _run_group(self, group: list[Grouped]) -> None:
        try:
            outcomes = group[0].runner.run_group([g.job for g in group])
        except BaseException as error:  # every waiting caller must hear of it
            for item in group:
                item.future.set_exception(error)
            return
        for item, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)


def _settle(future: Future[Any], run: Callable[[], Any]) -> None:
    try:
        future.set_result(run())
    except BaseException as error:  # handed to the caller, who raises it
        future.set_exception(error)
