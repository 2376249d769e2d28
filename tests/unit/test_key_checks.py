"""Concurrent key checks share reads, and each still sees what was committed before it."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest
from eventsourcing.persistence import StoredEvent

from ledger import Ledger
from ledger.key_checks import KeyChecks


def _event(stream: str, topic: str) -> StoredEvent:
    return StoredEvent(originator_id=stream, originator_version=1, topic=topic, state=b"{}")


class SlowStore:
    """Answers from a dict; the first read waits until the test lets it go."""

    def __init__(self) -> None:
        self.reads: list[list[str]] = []
        self.first_read_started = threading.Event()
        self.release = threading.Event()
        self.events = {"key:a": _event("key:a", "Issued"), "key:b": _event("key:b", "Revoked")}

    def read_last(self, streams: list[str]) -> dict[str, StoredEvent]:
        self.reads.append(streams)
        self.first_read_started.set()
        self.release.wait(5)
        return {s: self.events[s] for s in streams if s in self.events}


def test_checks_waiting_together_are_answered_by_one_read() -> None:
    store = SlowStore()
    checks = KeyChecks(store.read_last)
    try:
        first = checks.submit("key:a", lambda e: e and e.topic)
        assert store.first_read_started.wait(5)
        waiting: list[Future[object]] = [
            checks.submit(stream, lambda e: e and e.topic)
            for stream in ["key:a", "key:b", "key:c"] * 20
        ]
        store.release.set()
        assert first.result(5) == "Issued"
        assert [f.result(5) for f in waiting[:3]] == ["Issued", "Revoked", None]
        # The 60 checks queued during the first read were answered by one more read.
        assert store.reads == [["key:a"], ["key:a", "key:b", "key:c"]]
    finally:
        checks.close()


def test_a_failed_read_fails_every_check_that_waited_for_it() -> None:
    def broken(streams: list[str]) -> dict[str, StoredEvent]:
        raise ConnectionError("database away")

    checks = KeyChecks(broken)
    try:
        futures = [checks.submit("key:a", lambda e: e) for _ in range(5)]
        for future in futures:
            with pytest.raises(ConnectionError):
                future.result(5)
    finally:
        checks.close()


def test_a_closed_checker_refuses_new_checks() -> None:
    checks = KeyChecks(lambda streams: {})
    checks.close()
    with pytest.raises(RuntimeError):
        checks.submit("key:a", lambda e: e)


def test_a_key_revoked_between_two_checks_fails_the_second(ledger: Ledger) -> None:
    ledger.register_organisation("north", "North")
    issued = ledger.issue_key("broker", "north")
    assert ledger.submit_authentication(issued.key).result(5) is not None
    ledger.revoke_key(issued.id)
    assert ledger.submit_authentication(issued.key).result(5) is None
    assert ledger.authenticate(issued.key) is None
