"""Reading the log for projections: event ids, skipped types, cursors and the views' SQL."""

from __future__ import annotations

from uuid import uuid5

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidRequest
from ledger import ExchangeRequest, Ledger
from projections.events import EVENT_ID_NAMESPACE, LogEvent, read_log, read_page
from projections.paging import page_of, position_after
from projections.store import Cursor


@settings(max_examples=200, deadline=None)
@given(stream=st.text(min_size=1, max_size=80), version=st.integers(1, 10**9))
def test_an_event_id_is_the_uuid5_of_its_stream_and_version(stream: str, version: int) -> None:
    event = LogEvent(1, stream, version, "Account.Opened", "2024-06-01T12:00:00Z", {})
    assert event.id == str(uuid5(EVENT_ID_NAMESPACE, f"{stream}@{version}"))


def test_a_page_of_chosen_types_still_ends_at_the_last_event_read(bank: Ledger) -> None:
    bank.record_exchange("north", ExchangeRequest("north:ann", "north:bob", 30))
    everything = read_log(bank.recorder, 0, 1000)
    page = read_page(bank.recorder, 0, 1000, frozenset({"Exchange.Recorded"}))
    assert [e.type for e in page.events] == ["Exchange.Recorded"]
    assert page.last == everything[-1].position
    assert page.read == len(everything)
    assert page.events[0] == next(e for e in everything if e.type == "Exchange.Recorded")


def test_recorded_at_is_utc_spelled_with_a_z(bank: Ledger) -> None:
    assert all(e.recorded_at.endswith("Z") for e in read_log(bank.recorder, 0, 100))


def test_an_empty_page_stays_where_it_was(bank: Ledger) -> None:
    head = bank.recorder.max_notification_id() or 0
    page = read_page(bank.recorder, head, 10)
    assert (page.events, page.last, page.read) == ([], head, 0)


def test_a_cursor_is_the_position_of_the_last_item_served() -> None:
    rows = [{"position": n} for n in (3, 5, 8)]
    assert page_of(rows, 2, "position") == (rows[:2], "5")
    assert page_of(rows, 3, "position") == (rows, None)
    assert position_after(None) == 0
    assert position_after("5") == 5


@pytest.mark.parametrize("cursor", ["x", "-1", "1.5"])
def test_a_cursor_that_no_page_gave_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidRequest):
        position_after(cursor)


def test_the_views_sql_is_written_once_and_adapted_for_postgres() -> None:
    statement = "SELECT balance FROM {accounts} WHERE id = ? AND organisation = ?"
    sqlite = Cursor(None, postgres=False, schema="")
    postgres = Cursor(None, postgres=True, schema="t_1")
    assert sqlite.sql(statement) == "SELECT balance FROM accounts WHERE id = ? AND organisation = ?"
    assert postgres.sql(statement) == (
        'SELECT balance FROM "t_1".accounts WHERE id = %s AND organisation = %s'
    )
