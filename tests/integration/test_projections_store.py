"""The views' one SQL dialect behaves the same on every backend, in bulk as one by one."""

from __future__ import annotations

import pytest

from projections.store import ViewStore
from tests.integration.projection_support import fresh_ledger

UPSERT = (
    "INSERT INTO {tally} (key, n, label) VALUES (?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET n = tally.n + excluded.n, label = excluded.label"
)


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgres"])
@pytest.mark.parametrize("rows", [3, 1200])  # below and above the bulk thresholds
def test_many_row_inserts_and_upserts_write_what_one_by_one_would(backend: str, rows: int) -> None:
    with fresh_ledger(backend) as ledger:
        view = ViewStore(ledger.recorder)
        with view.transaction() as cursor:
            cursor.execute(
                "CREATE TABLE {tally} (key TEXT PRIMARY KEY, n BIGINT NOT NULL, label TEXT)"
            )
            cursor.executemany(
                "INSERT INTO {tally} (key, n, label) VALUES (?, ?, ?)",
                [(f"k{i}", i, None) for i in range(rows)],
            )
            cursor.executemany(UPSERT, [(f"k{i}", 1, f"tab\there {i}") for i in range(rows + 2)])
        found = {r["key"]: (r["n"], r["label"]) for r in view.read("SELECT * FROM {tally}")}
        expected = {f"k{i}": (i + 1, f"tab\there {i}") for i in range(rows)}
        expected |= {f"k{i}": (1, f"tab\there {i}") for i in (rows, rows + 1)}
        assert found == expected
        with view.transaction() as cursor:
            wanted = [f"k{i}" for i in range(0, rows + 2, 2)] + ["missing"]
            selected = cursor.select_in("SELECT key FROM {tally} WHERE key IN (??)", wanted)
        assert sorted(r["key"] for r in selected) == sorted(wanted[:-1])
