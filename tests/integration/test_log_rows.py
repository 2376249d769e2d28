"""Reading the log fast gives the same events as reading it plainly, on every backend."""

from __future__ import annotations

from ledger import ExchangeRequest, Ledger
from projections.events import audit_row, read_log, read_page
from projections.log_rows import stored_rows

WANTED = frozenset({"Exchange.Recorded", "Exchange.Reversed"})


def _history(ledger: Ledger) -> None:
    ledger.register_organisation("north", "North")
    ledger.register_organisation("south", "South")
    for account in ("north:ann", "north:bob", "south:cy"):
        org, ref = account.split(":")
        ledger.open_account(org, ref)
    done = ledger.record_exchange("north", ExchangeRequest("north:ann", "north:bob", 30))
    ledger.record_exchange("north", ExchangeRequest("north:bob", "south:cy", 15, note="café"))
    ledger.reverse_exchange(done.id, "north", "recorded twice")


def test_audit_rows_straight_from_storage_equal_the_decoded_events(ledger: Ledger) -> None:
    _history(ledger)
    rows = stored_rows(ledger.recorder, 0, 1000)
    events = read_log(ledger.recorder, 0, 1000)
    assert len(rows) == len(events) > 10
    assert [audit_row(row) for row in rows] == [event.as_audit() for event in events]


def test_a_page_of_some_types_holds_those_events_and_moves_past_the_others(
    ledger: Ledger,
) -> None:
    _history(ledger)
    every = read_log(ledger.recorder, 0, 1000)
    after = every[4].position
    page = read_page(ledger.recorder, after, 6, WANTED)
    window = [e for e in every if e.position > after][:6]
    assert page.events == [e for e in window if e.type in WANTED]
    assert page.events  # the window holds wanted events and others
    assert (page.last, page.read) == (window[-1].position, 6)
    end = read_page(ledger.recorder, every[-1].position, 6, WANTED)
    assert (end.events, end.last, end.read) == ([], every[-1].position, 0)
