"""Property: whatever exchanges, erasures and replays happen, in whatever order, erasure moves
no balance and changes no stored byte of the log before it, and no erased note opens again,
in a read, a read model or a replay; every other note still reads back as written."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import projections
from ledger import ExchangeRequest, Ledger, parse_database_url
from ledger.texts import note_place
from projections.pipeline import catch_up_pipelined

ACCOUNTS = ("north:ann", "north:bob", "south:cy", "south:dee")
NOTES = st.text(alphabet="abcdefghij ", min_size=1, max_size=40).map(lambda t: f"n:{t}")
RECORD = st.tuples(st.just("record"), st.integers(0, 3), st.integers(0, 3), NOTES | st.none())
ERASE = st.tuples(st.just("erase"), st.integers(0, 3))
REPLAY = st.tuples(st.just("replay"))
HISTORY = st.lists(st.one_of(RECORD, RECORD, ERASE, REPLAY), max_size=14)


def balances(ledger: Ledger) -> dict[str, int]:
    return {a: ledger.get_account(a).balance for a in ACCOUNTS}


def stored(ledger: Ledger) -> list[Any]:
    return ledger.recorder.stored_rows(0, 10**6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=HISTORY)
def test_erasure_moves_nothing_and_leaves_no_erased_note_readable(
    history: list[tuple[Any, ...]],
) -> None:
    ledger = Ledger(parse_database_url("memory://"))
    try:
        built = projections.build(ledger)
        for org in ("north", "south"):
            ledger.register_organisation(org, org.title(), credit_limit=10**6)
        for account in ACCOUNTS:
            ledger.open_account(*account.split(":"))
        notes: dict[str, tuple[str, set[str]]] = {}  # exchange -> note, its parties
        erased: set[str] = set()  # exchanges whose note an erasure reached
        for operation in history:
            if operation[0] == "record" and operation[1] != operation[2]:
                giver, receiver = ACCOUNTS[operation[1]], ACCOUNTS[operation[2]]
                recorder = giver.split(":")[0]
                request = ExchangeRequest(giver, receiver, 5, note=operation[3])
                recorded = ledger.record_exchange(recorder, request)
                assert recorded.note == operation[3]
                if operation[3] is not None:
                    notes[recorded.id] = (operation[3], {giver, receiver})
            elif operation[0] == "erase":
                account = ACCOUNTS[operation[1]]
                before, rows = balances(ledger), stored(ledger)
                ledger.erase_personal_data(account, None, None, lambda ids: 0)
                assert balances(ledger) == before
                assert stored(ledger)[: len(rows)] == rows
                erased |= {x for x, (_, parties) in notes.items() if account in parties}
            elif operation[0] == "replay":
                built.views.drop_tables()
                catch_up_pipelined(ledger.recorder, built.views, 7)
        built.runner.run_once()
        for exchange_id, (text, _) in notes.items():
            expected = (None, True) if exchange_id in erased else (text, False)
            row = built.read_models.exchange(exchange_id)
            assert row is not None
            assert (row["note"], row["note_erased"]) == expected
            sealed = ledger.repository.get(f"exchange:{exchange_id}").note
            assert ledger.texts.open(sealed, note_place(exchange_id)) == expected
            assert text not in str(stored(ledger))
    finally:
        ledger.close()
