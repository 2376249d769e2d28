"""A gift's note and its reversal's reason are free text about people: sealed like an
exchange's, never in the log in clear, and unreadable once either account is erased."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest

import projections
from api.commands.export_csv import write_spreadsheets
from ledger import GiftRequest, Ledger
from projections.audit_log import AuditLog
from tests.integration.test_audit_tampering import record_history
from tests.integration.test_personal_data import found, stored_states

NOTE = "canary-gift-note: for Ann's taxi to the hospice"
REASON = "canary-gift-reason: Ann gave it twice while confused"


def gift_notes(ledger: Ledger, path: Path) -> dict[str, str]:
    write_spreadsheets(ledger, path, "north")
    rows = csv.DictReader((path / "gifts.csv").open(encoding="utf-8"))
    return {row["gift_id"]: row["note"] for row in rows}


@pytest.mark.parametrize("erased", ["north:ann", "north:cy"])
def test_a_gift_note_is_never_in_the_log_and_reads_null_after_erasure(
    ledger: Ledger, tmp_path: Path, erased: str
) -> None:
    record_history(ledger)  # north:ann ends with credits to give
    kept = ledger.make_gift("north", GiftRequest("north:ann", "north:cy", 20, NOTE))
    undone = ledger.make_gift("north", GiftRequest("north:ann", "north:cy", 10, NOTE))
    ledger.reverse_gift(undone.id, "north", REASON)
    assert kept.note == NOTE  # the writer answers in clear
    built = projections.build(ledger)
    built.runner.run_once()
    events, _ = AuditLog(ledger.recorder, built.view).events(0, 10_000)
    assert found((NOTE, REASON), stored_states(ledger)) == []
    assert found((NOTE, REASON), orjson.dumps(events)) == []
    gift = built.read_models.gift(kept.id)
    assert gift is not None
    assert (gift["note"], gift["note_erased"]) == (NOTE, False)
    assert ledger.get_gift(kept.id).note == NOTE
    assert gift_notes(ledger, tmp_path / "before")[kept.id] == NOTE

    def count(key_ids: set[str]) -> int:
        return built.read_models.sealed_notes(erased, key_ids)

    erasure = ledger.erase_personal_data(erased, "north", None, count)
    assert erasure.notes_erased >= 2  # both gift notes are among them
    built.runner.run_once()
    gift = built.read_models.gift(kept.id)
    assert gift is not None
    assert (gift["note"], gift["note_erased"]) == (None, True)
    assert (ledger.get_gift(undone.id).note, ledger.get_gift(undone.id).note_erased) == (
        None,
        True,
    )
    assert gift_notes(ledger, tmp_path / "after") == {kept.id: "", undone.id: ""}
