"""Every event counted exactly once: across a failure mid-stream, two runners at once, and a
projection process killed with SIGKILL part-way and started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

import projections
from ledger import ExchangeRequest, Ledger
from projections.events import LogEvent
from projections.runner import Runner
from projections.store import Cursor, ViewStore
from projections.views import LedgerViews
from tests.integration.projection_support import (
    assert_reads_equal_the_fold,
    fold_of,
    fresh_ledger,
)
from tests.unit.support import Clock

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = [f"north:m{i}" for i in range(6)] + [f"south:m{i}" for i in range(4)]


class Boom(RuntimeError):
    pass


class FailingViews(LedgerViews):
    """Fails once, on its n-th page, after writing that page's rows (they must roll back)."""

    name = LedgerViews.name  # eventsourcing names a subclass after itself otherwise

    def __init__(self, view: ViewStore, fail_on: int) -> None:
        super().__init__(view)
        self.pages = 0
        self.fail_on = fail_on

    def apply(self, cursor: Cursor, events: list[LogEvent]) -> None:  # type: ignore[override]
        super().apply(cursor, events)
        self.pages += 1
        if self.pages == self.fail_on:
            raise Boom("the disk is full")


def busy_history(ledger: Ledger, clock: Clock, rounds: int) -> int:
    """Exchanges inside and across organisations, confirmed, reversed; returns the head."""
    for org in ("north", "south"):
        ledger.register_organisation(org, org.title(), credit_limit=10_000)
    for member in MEMBERS:
        ledger.open_account(*member.split(":"))
    for n in range(rounds):
        giver, receiver = MEMBERS[n % 10], MEMBERS[(3 * n + 1) % 10]
        day = clock.today() - timedelta(days=n % 40)
        request = ExchangeRequest(giver, receiver, 15 + n % 60, day, "care" if n % 3 else None)
        recorded = ledger.record_exchange(giver.split(":")[0], request)
        if recorded.status == "pending" and n % 4:
            ledger.confirm_exchange(recorded.id, None)
        if n % 7 == 0 and n % 4:
            ledger.reverse_exchange(recorded.id, None, "entered twice")
        if n % 11 == 0:
            clock.advance(1)
    return ledger.recorder.max_notification_id() or 0


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgres"])
def test_a_failure_mid_stream_rolls_back_its_page_and_a_restart_counts_each_event_once(
    backend: str,
) -> None:
    clock = Clock()
    with fresh_ledger(backend, clock) as ledger:
        head = busy_history(ledger, clock, rounds=60)
        view = ViewStore(ledger.recorder)
        failing = FailingViews(view, fail_on=3)
        with pytest.raises(Boom):
            Runner(ledger.recorder, [failing], page=11).run_once()
        assert 0 < failing.position() < head  # two pages kept, the third rolled back

        built = projections.build(ledger, page=11)
        built.runner.run_once()
        assert built.views.position() == head
        assert_reads_equal_the_fold(built.read_models, fold_of(ledger), ledger.today())


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_following_runner_retries_a_failed_page_and_two_runners_never_double_count(
    backend: str,
) -> None:
    clock = Clock()
    with fresh_ledger(backend, clock) as ledger:
        head = busy_history(ledger, clock, rounds=40)
        view = ViewStore(ledger.recorder)
        runners = [
            Runner(ledger.recorder, [FailingViews(view, fail_on=2)], page=5),
            Runner(ledger.recorder, [LedgerViews(ViewStore(ledger.recorder))], page=7),
        ]
        for runner in runners:
            runner.start()
        try:
            built = projections.build(ledger)
            assert built.read_models.wait_for(head, timeout=30)
        finally:
            for runner in runners:
                runner.stop()
        assert_reads_equal_the_fold(built.read_models, fold_of(ledger), ledger.today())


def views_position(view: ViewStore) -> int:
    return view.max_tracking_id(LedgerViews.name) or 0


def start_projecting(url: str, workdir: Path) -> subprocess.Popen[bytes]:
    # Without TIMEBANK_SIGNING_KEY, a checkpoint key is made under the working directory.
    env = {k: v for k, v in os.environ.items() if k != "TIMEBANK_SIGNING_KEY"}
    env.update(TIMEBANK_DATABASE_URL=url, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "api.cli", "project", "--page", "4"]
    log = (workdir / "project.log").open("ab")
    return subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=log)


def wait_until(
    condition: Callable[[], bool], process: subprocess.Popen[bytes], timeout: float
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            return True
        time.sleep(0.005)
    return False


def test_a_projection_process_killed_part_way_resumes_where_its_last_page_committed(
    tmp_path: Path,
) -> None:
    clock = Clock()
    with fresh_ledger("postgres", clock) as ledger:
        head = busy_history(ledger, clock, rounds=250)
        url = ledger.database.url
        view = ViewStore(ledger.recorder)
        first = start_projecting(url, tmp_path)
        try:
            assert wait_until(lambda: views_position(view) > head // 5, first, timeout=60)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        killed_at = views_position(view)
        assert 0 < killed_at < head, "killed part-way"

        second = start_projecting(url, tmp_path)
        try:
            # The worker also records overdue pending exchanges as expired (its clock is the
            # real one), so the log grows past `head`: the views must reach the log's end.
            at_end = lambda: views_position(view) == ledger.recorder.max_notification_id()  # noqa: E731
            assert wait_until(lambda: views_position(view) >= head and at_end(), second, 60)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(20) == 0
        built = projections.build(ledger)
        assert_reads_equal_the_fold(built.read_models, fold_of(ledger), ledger.today())
