"""`timebank replay` rebuilds every read model to exactly the rows it had; a projection whose
tables were made by other statements (an older release) is rebuilt from position 0."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

import projections
from api.cli import main
from projections.runner import Runner
from projections.store import ViewStore
from projections.views import LedgerViews
from tests.integration.projection_support import (
    assert_reads_equal_the_fold,
    fold_of,
    fresh_ledger,
)
from tests.integration.test_projections_exactly_once import busy_history
from tests.unit.support import Clock

TABLES = (*LedgerViews.drops, "audit_chain")


def snapshot(view: ViewStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read model, in a stable order."""
    found = {}
    for table in TABLES:
        rows = view.read(f"SELECT * FROM {{{table}}}")
        found[table] = sorted((tuple(sorted(row.items())) for row in rows), key=repr)
    return found


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_replay_leaves_every_read_model_as_it_was(
    backend: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = Clock()
    with fresh_ledger(backend, clock) as ledger:
        head = busy_history(ledger, clock, rounds=80)
        built = projections.build(ledger, page=17)
        built.runner.run_once()
        before = snapshot(built.view)
        assert len(before["statements"]) > 100

        monkeypatch.setenv("TIMEBANK_DATABASE_URL", ledger.database.url)
        assert main(["replay", "--page", "50"]) == 0

        assert f"Replayed {head} events" in capsys.readouterr().out
        assert snapshot(built.view) == before
        assert built.read_models.position() == head


def test_replay_will_not_run_beside_another_process_running_the_projections(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fresh_ledger("postgres") as ledger:
        ledger.register_organisation("north", "North")
        built = projections.build(ledger)
        other = Runner(ledger.recorder, [built.views])  # as if in another process
        with other.exclusive(built.views.name) as mine:
            assert mine
            monkeypatch.setenv("TIMEBANK_DATABASE_URL", ledger.database.url)
            assert main(["replay", "--wait", "0.2"]) == 1
        assert "stop `timebank project`" in capsys.readouterr().err


class ReshapedViews(LedgerViews):
    """The same views as a later release might make them: one more index."""

    name = LedgerViews.name
    tables: ClassVar[Sequence[str]] = (
        *LedgerViews.tables,
        "CREATE INDEX IF NOT EXISTS statements_by_exchange ON {statements} (exchange_id)",
    )


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgres"])
def test_views_made_by_other_statements_are_rebuilt_from_the_start(backend: str) -> None:
    clock = Clock()
    with fresh_ledger(backend, clock) as ledger:
        head = busy_history(ledger, clock, rounds=30)
        built = projections.build(ledger)
        built.runner.run_once()
        reshaped = ReshapedViews(built.view)
        assert reshaped.position() == 0
        Runner(ledger.recorder, [reshaped]).run_once()
        assert reshaped.position() == head
        assert_reads_equal_the_fold(built.read_models, fold_of(ledger), ledger.today())


def test_an_unchanged_projection_keeps_its_position() -> None:
    with fresh_ledger("sqlite") as ledger:
        ledger.register_organisation("north", "North")
        built = projections.build(ledger)
        built.runner.run_once()
        assert LedgerViews(ViewStore(ledger.recorder)).position() == built.views.position() > 0
