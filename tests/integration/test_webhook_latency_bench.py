"""The webhook latency bench runs, on tiny bounds, and every change reaches every endpoint."""

from __future__ import annotations

import re

import pytest

from bench.webhook_latency import run
from projections.webhooks.targets import ALLOW_PRIVATE_VAR


def test_the_latency_bench_delivers_every_change_and_prints_its_figures(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ALLOW_PRIVATE_VAR, "true")
    run(sqlite_url, endpoints=2, rate=20, seconds=1, size=30)
    printed = capsys.readouterr().out
    assert "(40 of 40 delivered)" in printed
    assert re.search(r"p50 [0-9.]+ ms, p99 [0-9.]+ ms", printed)
    assert re.search(r"a backlog of 30: [0-9]+ deliveries/s per endpoint", printed)
