"""The operator's view of the log's free text: `audit verify --database` tells a note erased
with its `Account.PersonalDataErased` from one whose key went missing without one, and
`audit plaintext-notes` counts the notes recorded in clear before notes were sealed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main
from ledger import ExchangeRequest, Ledger, parse_database_url
from ledger.personal_tables import KEYS
from tests.integration.test_audit_tampering import record_history

NOTE = "canary-note: a lift to the clinic"


@pytest.fixture
def ledger(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TIMEBANK_DATA_KEY", str(tmp_path / "data-key"))
    (tmp_path / "data-key").write_text(32 * "ef")
    made = Ledger(parse_database_url(sqlite_url))
    record_history(made)
    yield made
    made.close()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_note_erased_with_its_event_is_said_erased_not_missing(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = ledger.record_exchange(
        "north", ExchangeRequest("north:ann", "south:dee", 30, note=NOTE)
    )
    ledger.reject_exchange(recorded.id, "south", "not that week")
    code, _, err = run(capsys, "audit", "verify", "--database")
    assert (code, "erased" in err, "warning" in err) == (0, False, False)

    ledger.erase_personal_data("south:dee", "south", "DSAR-1", lambda ids: 2)
    code, out, err = run(capsys, "audit", "verify", "--database")
    assert code == 0
    assert out.startswith("ok:")
    assert "2 notes or reasons erased (Account.PersonalDataErased recorded for 1 accounts)" in err
    assert "warning" not in err


def test_a_key_missing_without_an_erasure_event_is_a_warning(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = ledger.record_exchange(
        "north", ExchangeRequest("north:ann", "north:bob", 30, note=NOTE)
    )
    ledger.personal_tables.delete(KEYS, "account", "north:bob")  # lost, not erased
    code, out, err = run(capsys, "audit", "verify", "--database")
    assert code == 0  # the chain is intact: a warning, not a failure
    assert out.startswith("ok:")
    # bob's: this note, and the reason of the reversal record_history made.
    assert "warning: 2 notes or reasons cannot be opened" in err
    assert f"(exchange:{recorded.id}): key of north:bob" in err
    assert "erased" not in err.replace("PersonalDataErased", "")


def test_plaintext_notes_counts_the_events_whose_note_is_in_clear(
    ledger: Ledger, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.record_exchange("north", ExchangeRequest("north:ann", "north:bob", 5, note=NOTE))
    code, out, _ = run(capsys, "audit", "plaintext-notes")
    assert (code, out.splitlines()[0]) == (0, "0 events hold a note or reason in clear; 2 sealed")

    # As a ledger recorded before notes were sealed: the note goes into the event as it is.
    monkeypatch.setattr(ledger.texts, "seal", lambda text, *_: text)
    legacy = ledger.record_exchange(
        "north", ExchangeRequest("north:ann", "north:bob", 5, note=NOTE)
    )
    code, out, _ = run(capsys, "audit", "plaintext-notes")
    assert code == 0
    assert out.splitlines()[0] == "1 events hold a note or reason in clear; 2 sealed"
    assert out.splitlines()[1] == f"first at positions: {legacy.position}"
