"""Two processes writing the same accounts meet version conflicts: `/metrics` counts each
conflict, and the writes it sent round again, so an operator can tell what more workers cost."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from ledger import ExchangeRequest, Ledger, parse_database_url

ADMIN = "operator-key-for-conflict-metrics"


def counted(text: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    assert found is not None, text
    return float(found.group(1))


def test_a_conflict_with_another_process_is_counted_with_the_writes_it_retried(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    here, elsewhere = Ledger(parse_database_url(url)), Ledger(parse_database_url(url))
    try:
        here.register_organisation("north", "North")
        for ref in ("a", "b"):
            here.open_account("north", ref)
        app = create_app(here, settings=ApiSettings(admin_key=ADMIN))
        with TestClient(app) as client:
            metrics = {"Authorization": f"Bearer {ADMIN}"}
            before = client.get("/metrics", headers=metrics).text
            assert counted(before, "timebank_write_conflicts_total") == 0
            here.record_exchange("north", ExchangeRequest("north:a", "north:b", 10))  # cached
            elsewhere.record_exchange("north", ExchangeRequest("north:a", "north:b", 10))
            here.record_exchange("north", ExchangeRequest("north:b", "north:a", 5))  # stale copy
            after = client.get("/metrics", headers=metrics).text
        assert counted(after, "timebank_write_conflicts_total") == 1
        assert counted(after, "timebank_write_retries_total") == 1
        assert here.get_account("north:a").balance == 15
    finally:
        here.close()
        elsewhere.close()
