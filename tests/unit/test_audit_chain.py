"""The audit chain: its canonical form, the projection that stores it, the pages that serve it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ledger import Ledger
from projections.audit_chain import GENESIS, AuditChain, canonical, chain_hash
from projections.audit_log import AuditLog
from projections.runner import Runner
from tests.unit.support import give

# The worked example in docs/auditors.md.
EXAMPLE = {
    "position": 1,
    "id": "57e642b7-8ab4-54f4-bec4-25b7dce83718",
    "stream": "organisation:north",
    "version": 1,
    "type": "Organisation.Registered",
    "recorded_at": "2024-06-01T09:00:00.000000Z",
    "data": {
        "name": "Nørth Timebank",
        "credit_limit": 600,
        "max_balance": None,
        "pending_expiry_days": 14,
    },
}
EXAMPLE_CANONICAL = (
    '{"data":{"credit_limit":600,"max_balance":null,"name":"Nørth Timebank",'
    '"pending_expiry_days":14},"id":"57e642b7-8ab4-54f4-bec4-25b7dce83718","position":1,'
    '"recorded_at":"2024-06-01T09:00:00.000000Z","stream":"organisation:north",'
    '"type":"Organisation.Registered","version":1}'
)
EXAMPLE_HASH = "f72a26fbde2d46ec18b06f413f0a15f5c3a313737ac1c3892bc49382fa995226"


def chained(ledger: Ledger, log: AuditLog | None = None) -> AuditLog:
    """The ledger's events chained (in-memory stores keep views per `AuditLog`: share one)."""
    log = log or AuditLog(ledger.recorder)
    chain = AuditChain(log.view)
    Runner(ledger.recorder, [chain]).catch_up(chain)
    return log


def independent_chain(events: list[dict[str, Any]]) -> list[str]:
    hashes, previous = [], "0" * 64
    for event in events:
        body = {k: v for k, v in event.items() if k != "hash"}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        previous = hashlib.sha256(bytes.fromhex(previous) + text.encode()).hexdigest()
        hashes.append(previous)
    return hashes


def some_history(bank: Ledger) -> None:
    give(bank, "north", "north:ann", "north:bob", 30, note="café ✓ «ok»")
    give(bank, "north", "north:cy", "north:ann", 45, category="gardening")
    pending = give(bank, "north", "north:bob", "south:dee", 20)
    bank.confirm_exchange(pending.id, "south")
    wrong = give(bank, "north", "north:ann", "north:cy", 10)
    bank.reverse_exchange(wrong.id, "north", reason="wrong member")


def test_the_canonical_form_sorts_keys_and_keeps_text_as_utf8_without_spaces() -> None:
    assert canonical(EXAMPLE) == EXAMPLE_CANONICAL.encode("utf-8")
    assert canonical({"b": [1, True, None], "a": 'quote " and \n'}) == (
        b'{"a":"quote \\" and \\n","b":[1,true,null]}'
    )


def test_the_first_hash_is_sha256_of_32_zero_bytes_then_the_canonical_event() -> None:
    assert chain_hash(GENESIS, EXAMPLE) == EXAMPLE_HASH
    assert chain_hash(GENESIS, {**EXAMPLE, "hash": "anything"}) == EXAMPLE_HASH
    assert chain_hash(EXAMPLE_HASH, EXAMPLE) != EXAMPLE_HASH


def test_the_stored_chain_is_what_an_independent_implementation_computes(bank: Ledger) -> None:
    some_history(bank)
    events, _ = chained(bank).events(0, 1000)
    assert len(events) == bank.recorder.max_notification_id()
    assert [e["hash"] for e in events] == independent_chain(events)
    # The note is sealed: the chain hashes its ciphertext, and the text is in no event.
    assert not any("café" in json.dumps(e, ensure_ascii=False) for e in events)


def test_a_chain_rebuilt_from_scratch_is_identical(bank: Ledger) -> None:
    some_history(bank)
    log = chained(bank)
    before = log.events(0, 1000)
    chain = AuditChain(log.view)
    chain.drop_tables()
    assert log.head() == (0, GENESIS)
    Runner(bank.recorder, [chain]).catch_up(chain)
    assert log.events(0, 1000) == before


def test_audit_events_come_in_pages_and_only_once_they_are_chained(bank: Ledger) -> None:
    some_history(bank)
    log = chained(bank)
    head, head_hash = log.head()
    give(bank, "north", "north:ann", "north:bob", 5)  # recorded, not chained yet
    pages, after = [], 0
    while True:
        page, cursor = log.events(after, 7)
        pages.append(page)
        if cursor is None:
            break
        after = cursor
    events = [e for page in pages for e in page]
    assert [e["position"] for e in events] == list(range(1, head + 1))
    assert all(len(page) == 7 for page in pages[:-1])
    assert events[-1]["hash"] == head_hash
    assert list(events[0]) == [
        "position", "id", "stream", "version", "type", "recorded_at", "data", "hash"
    ]  # fmt: skip
