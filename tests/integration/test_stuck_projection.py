"""A projection that cannot apply an event: said once, shown on /readyz and /metrics, the
other projections keep going, and it recovers by itself once it can."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pytest

from api.probe import Stall
from ledger import ExchangeRequest
from projections import runner as runner_module
from projections.events import LogEvent
from projections.store import Cursor
from projections.views import LedgerViews
from tests.integration.text_support import ORG, Site, site_on

PATIENCE = 60.0  # a deadline for the background threads, never a measured time


@pytest.fixture(params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    with site_on(str(request.getfixturevalue(f"{request.param}_url"))) as made:
        made.projections.runner.run_once()
        yield made


def eventually(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, "the runner did not get there"
        time.sleep(0.01)


def record(site: Site) -> int:
    request = ExchangeRequest(f"{ORG}:m-1", f"{ORG}:m-2", 30)
    return site.ledger.record_exchange(ORG, request).position


def metric(site: Site, line_start: str) -> str:
    # /metrics answers the operator (or an auditor) only.
    operator = {"Authorization": "Bearer operator-key-for-tests"}
    text: str = site.client.get("/metrics", headers=operator).text
    return next(line for line in text.splitlines() if line.startswith(line_start))


def test_a_stuck_projection_is_reported_once_and_the_audit_chain_keeps_going(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(runner_module, "RETRY_FIRST", 0.01)
    monkeypatch.setattr(runner_module, "RETRY_MAX", 0.01)
    failures: list[int] = []
    mended = threading.Event()  # the page stays unappliable until the checks are done
    original = LedgerViews.apply

    def apply(self: LedgerViews, cursor: Cursor, events: Sequence[LogEvent]) -> None:
        if not mended.is_set():
            failures.append(events[0].position)
            raise RuntimeError("this page cannot be applied")
        original(self, cursor, events)

    stuck_at = site.projections.views.position()
    head = record(site)
    monkeypatch.setattr(LedgerViews, "apply", apply)
    caplog.set_level(logging.INFO, logger="projections.runner")
    site.projections.runner.start()
    try:
        eventually(lambda: site.projections.chain.position() == head)
        eventually(lambda: len(failures) >= 3 and site.api("GET", "/readyz").status_code == 503)
        answer = site.api("GET", "/readyz").json()
        assert f"projection ledger_views is stuck after position {stuck_at}" in answer["detail"]
        assert metric(site, "timebank_projections_stuck ") == "timebank_projections_stuck 1.0"
        assert metric(site, "timebank_projection_stuck_position{") == (
            f'timebank_projection_stuck_position{{projection="ledger_views"}} {stuck_at:.1f}'
        )
        mended.set()
        eventually(lambda: site.projections.views.position() == head)  # it can, once mended
    finally:
        site.projections.runner.stop()
    said = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in said] == ["ERROR", "WARNING"], [r.getMessage() for r in said]
    assert "ledger_views is stuck" in said[0].getMessage()
    assert "moved on past position" in said[1].getMessage()
    assert site.api("GET", "/readyz").status_code == 200
    assert metric(site, "timebank_projections_stuck ") == "timebank_projections_stuck 0.0"


def test_readyz_answers_503_when_the_read_models_stand_still_behind_the_log(
    site: Site,
) -> None:
    """No projection worker runs at all here: nothing is stuck, the lag is small, and the
    read models do not move."""
    now = [1000.0]
    app_state = site.client.app.state  # type: ignore[attr-defined]
    app_state.stall = Stall(30.0, lambda: now[0])
    record(site)
    assert site.api("GET", "/readyz").status_code == 200  # behind, but only just now
    now[0] += 29.0
    assert site.api("GET", "/readyz").status_code == 200
    now[0] += 2.0
    answer = site.api("GET", "/readyz")
    assert answer.status_code == 503
    assert "stood at position" in answer.json()["detail"]
    site.projections.runner.run_once()
    assert site.api("GET", "/readyz").status_code == 200
