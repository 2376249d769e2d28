"""The verifier names the first position where a log departs from its chain, checkpoints or
an earlier export, and agrees with a few lines of plain hashlib on every log it is shown."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import Ledger, parse_database_url
from projections.audit_verify import ChainBroken, Entry, Mark, baseline_marks, verify
from tests.unit.support import give
from tests.unit.test_audit_chain import chained

Event = dict[str, Any]


def independent_first_bad(events: list[Event]) -> int | None:
    previous = "0" * 64
    for event in events:
        body = {k: v for k, v in event.items() if k != "hash"}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        previous = hashlib.sha256(bytes.fromhex(previous) + text.encode()).hexdigest()
        if previous != event["hash"]:
            return int(event["position"])
    return None


def entries(events: list[Event]) -> list[Entry]:
    return [
        Entry(e["position"], {k: v for k, v in e.items() if k != "hash"}, e["hash"]) for e in events
    ]


def first_bad(events: list[Event], **kwargs: Any) -> int | None:
    try:
        verify(entries(events), **kwargs)
    except ChainBroken as broken:
        return broken.position
    return None


@pytest.fixture(scope="module")
def history() -> list[Event]:
    ledger = Ledger(parse_database_url("memory://"))
    ledger.register_organisation("north", "North")
    for ref in ("ann", "bob"):
        ledger.open_account("north", ref)
    for n, minutes in enumerate(range(10, 130, 10)):
        pair = ("north:ann", "north:bob") if n % 2 else ("north:bob", "north:ann")
        give(ledger, "north", *pair, minutes)
    events, _ = chained(ledger).events(0, 1000)
    ledger.close()
    return events


# Tampering with a log whose stated hashes stay as they were chained.


def change(events: list[Event], i: int) -> int:
    events[i]["data"]["tampered"] = True
    return int(events[i]["position"])


def delete(events: list[Event], i: int) -> int:
    del events[i]
    return int(events[i]["position"]) if i < len(events) else -1


def insert(events: list[Event], i: int) -> int:
    """A forged event at i's position; the events after it move up one."""
    hashes = [e["hash"] for e in events]
    forged = {**copy.deepcopy(events[i]), "version": 999}
    events.insert(i, forged)
    for j in range(i + 1, len(events)):
        events[j]["position"] += 1
    for j, event in enumerate(events[: len(hashes)]):
        event["hash"] = hashes[j]
    events[-1]["hash"] = "0" * 64  # moved past the chain's end: no one chained it
    return int(forged["position"])


def swap(events: list[Event], i: int) -> int:
    j = min(i + 2, len(events) - 1)
    first, second = events[i], events[j]
    for key in ("id", "stream", "version", "type", "recorded_at", "data"):
        first[key], second[key] = second[key], first[key]
    return int(first["position"])


TAMPERING: list[Callable[[list[Event], int], int]] = [change, delete, insert, swap]


def test_an_untouched_log_verifies_to_its_head(history: list[Event]) -> None:
    outcome = verify(entries(history))
    assert (outcome.events, outcome.head) == (len(history), history[-1]["hash"])
    assert independent_first_bad(history) is None


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(TAMPERING), st.integers(min_value=0, max_value=35))
def test_any_tampering_is_named_where_an_independent_check_finds_it(
    history: list[Event], tamper: Callable[[list[Event], int], int], i: int
) -> None:
    events = copy.deepcopy(history)
    at = tamper(events, i)
    found = first_bad(events)
    assert found == independent_first_bad(events)
    if tamper is not delete:
        assert found == at
    baseline = baseline_marks(entries(history))
    assert first_bad(events, baseline=baseline) == history[i]["position"]


def rehashed(events: list[Event]) -> list[Event]:
    previous = "0" * 64
    for event in events:
        previous = hashlib.sha256(
            bytes.fromhex(previous)
            + json.dumps(
                {k: v for k, v in event.items() if k != "hash"},
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
            ).encode()
        ).hexdigest()
        event["hash"] = previous
    return events


def test_a_consistent_forgery_is_caught_by_a_checkpoint_after_it_or_by_a_baseline(
    history: list[Event],
) -> None:
    forged = copy.deepcopy(history)
    change(forged, 10)
    rehashed(forged)
    assert first_bad(forged) is None
    before, after = (Mark(p, history[p - 1]["hash"], "kept checkpoint") for p in (5, 30))
    assert first_bad(forged, checkpoints=[[before]]) is None
    assert first_bad(forged, checkpoints=[[before, after]]) == 30
    assert first_bad(forged, baseline=baseline_marks(entries(history))) == 11


def test_a_checkpoint_beyond_the_end_of_the_log_fails(history: list[Event]) -> None:
    mark = Mark(len(history), history[-1]["hash"], "kept checkpoint")
    with pytest.raises(ChainBroken, match="but the log ends at position 30") as broken:
        verify(entries(history[:30]), checkpoints=[[mark]])
    assert broken.value.position == len(history)


def test_events_out_of_order_or_without_a_hash_fail(history: list[Event]) -> None:
    repeated = entries(history[:5]) + entries(history[4:6])
    with pytest.raises(ChainBroken, match="out of order"):
        verify(repeated)
    unhashed = [*entries(history[:5]), Entry(6, entries(history)[5].event, None)]
    with pytest.raises(ChainBroken, match="no chain hash") as broken:
        verify(unhashed)
    assert broken.value.position == 6
    assert verify(unhashed, chain_head=5).unchained == 1


def test_a_broken_baseline_is_reported_as_such(history: list[Event]) -> None:
    broken_baseline = copy.deepcopy(history)
    change(broken_baseline, 3)
    with pytest.raises(ChainBroken, match="baseline export is itself broken at position 4"):
        verify(entries(history), baseline=baseline_marks(entries(broken_baseline)))
