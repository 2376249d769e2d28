"""The writer: a lone command runs on its caller's thread; concurrent ones share a group."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ledger.writer import SingleWriter


class NotingRunner:
    """A runner that notes each group it was given and on which thread it ran."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.groups: list[list[Any]] = []
        self.threads: list[str] = []
        self.started = threading.Event()
        self.hold = hold

    def run_group(self, jobs: list[Any]) -> list[Any]:
        self.groups.append(list(jobs))
        self.threads.append(threading.current_thread().name)
        self.started.set()
        if self.hold is not None:
            self.hold.wait(5)
        return [ValueError(job) if job == "bad" else job * 2 for job in jobs]


def test_a_lone_command_runs_on_the_callers_thread() -> None:
    runner = NotingRunner()
    writer = SingleWriter()
    try:
        assert writer.grouped(runner, 21) == 42
        assert writer.call(lambda: writer.on_writer_thread()) is True
        assert runner.threads == [threading.current_thread().name]
        assert writer.on_writer_thread() is False  # the turn was given back
        with pytest.raises(ValueError, match="bad"):
            writer.grouped(runner, "bad")
    finally:
        writer.close()


def test_commands_arriving_while_one_runs_are_committed_together_by_the_writer_thread() -> None:
    release = threading.Event()
    runner = NotingRunner(hold=release)
    writer = SingleWriter()
    try:
        with ThreadPoolExecutor(9) as pool:
            first = pool.submit(writer.grouped, runner, 0)
            assert runner.started.wait(5)
            later = [pool.submit(writer.grouped, runner, n) for n in range(1, 9)]
            deadline = time.monotonic() + 5
            # All eight wait behind the first: queued, one of them held by the writer thread.
            while writer._queue.qsize() + writer._wanted < 8 and time.monotonic() < deadline:
                time.sleep(0.01)
            release.set()
            assert first.result(5) == 0
            assert [f.result(5) for f in later] == [n * 2 for n in range(1, 9)]
        # One group for all eight, in the order their threads happened to queue them.
        assert [sorted(group) for group in runner.groups] == [[0], list(range(1, 9))]
        assert runner.threads[1] == "ledger-writer"
    finally:
        writer.close()


def test_a_command_within_a_command_runs_in_place() -> None:
    runner, writer = NotingRunner(), SingleWriter()
    try:
        assert writer.call(lambda: writer.call(lambda: writer.grouped(runner, 5))) == 10
    finally:
        writer.close()


def test_a_closed_writer_refuses_commands() -> None:
    writer = SingleWriter()
    writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        writer.grouped(NotingRunner(), 1)
