"""Webhook deliveries carry an exchange's note as `GET /v1/exchanges/{id}` answers it: in
clear while its keys exist, null with `note_erased` once the account is erased."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import projections
from ledger import ExchangeRequest, Ledger, parse_database_url
from projections.webhooks.sealing import Sealer, load_key
from projections.webhooks.signing import new_secret
from projections.webhooks.table import WebhookTable
from projections.workers import start_beside
from tests.integration.test_audit_tampering import record_history
from tests.reliability.receiver import Receiver

NOTE = "canary-note: a lift to the clinic"


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def deliveries_of(receiver: Receiver, exchange_id: str) -> list[dict[str, Any]]:
    found = [r.change for r in receiver.accepted()]
    return [c for c in found if c.get("exchange", {}).get("id") == exchange_id]


def test_a_delivery_carries_the_note_in_clear_and_null_after_an_erasure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMEBANK_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("TIMEBANK_WEBHOOK_KEY", str(tmp_path / "webhook-key"))
    monkeypatch.setenv("TIMEBANK_DATA_KEY", str(tmp_path / "data-key"))
    (tmp_path / "data-key").write_text(32 * "cd")
    (tmp_path / "webhook-key").write_text(base64.b64encode(os.urandom(32)).decode())
    url = f"sqlite:///{tmp_path}/timebank.sqlite3"
    ledger = Ledger(parse_database_url(url))
    built = projections.build(ledger)
    receiver = Receiver(lambda n: "accept")
    try:
        record_history(ledger)
        built.runner.run_once()
        table = WebhookTable(built.view)
        secret = new_secret()
        table.add("north", receiver.start(), None, lambda i: Sealer(load_key()).seal(secret, i))
        built.start(ledger)
        stop = start_beside(built, ledger)
        try:
            pending = ledger.record_exchange(
                "north", ExchangeRequest("north:ann", "south:dee", 30, note=NOTE)
            )
            wait_until(lambda: deliveries_of(receiver, pending.id), "the first delivery")
            first = deliveries_of(receiver, pending.id)[0]["exchange"]
            assert (first["note"], first["note_erased"]) == (NOTE, False)

            ledger.erase_personal_data("south:dee", "south", None, lambda ids: 1)
            ledger.confirm_exchange(pending.id, "south")
            wait_until(lambda: len(deliveries_of(receiver, pending.id)) > 1, "the second")
            later = deliveries_of(receiver, pending.id)[-1]["exchange"]
            assert (later["status"], later["note"], later["note_erased"]) == (
                "completed",
                None,
                True,
            )
        finally:
            stop()
    finally:
        receiver.stop()
        built.stop()
        ledger.close()
