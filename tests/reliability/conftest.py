"""Reliability and security: servers on 127.0.0.1 killed, cut off from their database, raced
and fed hostile input. Each test records its figures; they are written to
`<pytest basetemp>/reliability-figures.json` and shown at the end of the run."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIGURES: dict[str, dict[str, Any]] = {}
FIGURES_FILE = "reliability-figures.json"


@pytest.fixture
def figures(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """What the test measured (kills survived, writes lost, 5xx seen...), kept even when the
    test fails, so a failure says how far it got."""
    measured: dict[str, Any] = {}
    yield measured
    FIGURES[request.node.name] = measured
    path = Path(tmp_path_factory.getbasetemp()) / FIGURES_FILE
    path.write_text(json.dumps(FIGURES, indent=2, sort_keys=True))
    print(f"\n{request.node.name}: {json.dumps(measured, sort_keys=True)}")


@pytest.fixture
def admin_key() -> str:
    return f"admin-{secrets.token_urlsafe(24)}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, measured in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {json.dumps(measured, sort_keys=True)}")
