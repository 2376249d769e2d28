"""Stored event state is the same JSON whichever transcoder wrote it."""

from __future__ import annotations

from datetime import UTC, datetime

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder
from hypothesis import given
from hypothesis import strategies as st

from ledger.transcoder import OrjsonTranscoder

STATE = st.dictionaries(
    st.text(max_size=10),
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20)
    | st.lists(st.text(max_size=8), max_size=3),
    max_size=6,
)  # fmt: skip


def transcoders() -> tuple[JSONTranscoder, OrjsonTranscoder]:
    reference, fast = JSONTranscoder(), OrjsonTranscoder()
    app = Application({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.register_transcodings(reference)
    app.register_transcodings(fast)
    return reference, fast


@given(STATE, st.datetimes(timezones=st.just(UTC)))
def test_both_transcoders_write_the_same_bytes_and_read_each_other(
    state: dict[str, object], moment: datetime
) -> None:
    reference, fast = transcoders()
    event = {**state, "timestamp": moment}
    assert fast.encode(event) == reference.encode(event)
    assert fast.decode(reference.encode(event)) == event
    assert reference.decode(fast.encode(event)) == event
