"""Recomputes the audit chain and names the first position where the log departs from it.

The verifier walks the log once, in constant memory, and compares each recomputed hash with
what the log itself states, with signed checkpoints, and with an earlier export the auditor
kept (the baseline). It does not care where the log came from: an export file or the
database feed it the same `Entry` records.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from projections.audit_chain import GENESIS, chain_hash


class Entry(NamedTuple):
    position: int
    event: dict[str, Any] | None  # the audit event; None when only its hash is known
    claimed: str | None  # the chain hash the log states for it, if any


class Mark(NamedTuple):
    """A hash the chain must have at a position: a checkpoint's, or a kept export's."""

    position: int
    hash: str
    label: str


class ChainBroken(Exception):
    def __init__(self, position: int | None, reason: str) -> None:
        self.position = position
        self.reason = reason
        where = f"first bad position {position}: " if position is not None else ""
        super().__init__(f"{where}{reason}")


@dataclass
class Outcome:
    events: int = 0
    head: str = GENESIS
    position: int = 0
    unchained: int = 0
    marks: int = 0


class Verifier:
    def __init__(
        self,
        checkpoints: Iterable[Iterable[Mark]] = (),
        baseline: Iterable[Mark] = (),
        chain_head: int | None = None,
    ) -> None:
        """`chain_head`: events after it may lack a stated hash (not chained yet)."""
        self.outcome = Outcome()
        self._chain_head = chain_head
        self._marks = _Cursor(heapq.merge(*checkpoints, key=lambda mark: mark.position))
        self._baseline = _Cursor(iter(baseline))

    def feed(self, entry: Entry) -> None:
        position, previous = entry.position, self.outcome.position
        if position <= previous:
            raise ChainBroken(position, f"it comes after position {previous}: out of order")
        self._nothing_missing_before(position)
        if entry.event is None:
            raise ChainBroken(position, "the chain has a hash here, but the event is gone")
        digest = chain_hash(self.outcome.head, entry.event)
        self._against_baseline(position, digest)
        self._against_claim(position, digest, entry.claimed)
        self._against_marks(position, digest)
        self.outcome.events += 1
        self.outcome.head, self.outcome.position = digest, position

    def finish(self) -> Outcome:
        for cursor in (self._marks, self._baseline):
            mark = cursor.peek()
            if mark is not None:
                raise ChainBroken(
                    mark.position,
                    f"the {mark.label} vouches for an event here, but the log ends at"
                    f" position {self.outcome.position}",
                )
        return self.outcome

    def _nothing_missing_before(self, position: int) -> None:
        for cursor in (self._marks, self._baseline):
            mark = cursor.peek()
            if mark is not None and mark.position < position:
                raise ChainBroken(
                    mark.position,
                    f"the {mark.label} vouches for an event here, but the log has none",
                )

    def _against_baseline(self, position: int, digest: str) -> None:
        mark = self._baseline.peek()
        if mark is None:
            return  # past the end of the baseline: new events
        if mark.position > position:
            raise ChainBroken(position, f"this event is not in the {mark.label}: inserted")
        self._baseline.take()
        if mark.hash != digest:
            raise ChainBroken(position, f"this event differs from the {mark.label}'s")

    def _against_claim(self, position: int, digest: str, claimed: str | None) -> None:
        if claimed is None and self._chain_head is not None and position > self._chain_head:
            self.outcome.unchained += 1
        elif claimed is None:
            raise ChainBroken(position, "the event has no chain hash: added after chaining")
        elif claimed != digest:
            raise ChainBroken(
                position,
                f"the event's hash does not match the chain (the log states {claimed},"
                f" recomputing gives {digest}): this event, or one just before it, was"
                f" changed, removed or inserted{self._gap_hint(position)}",
            )

    def _against_marks(self, position: int, digest: str) -> None:
        while (mark := self._marks.peek()) is not None and mark.position == position:
            self._marks.take()
            self.outcome.marks += 1
            if mark.hash != digest:
                raise ChainBroken(
                    position,
                    f"the {mark.label} says the chain hash here is {mark.hash}, but the log"
                    f" gives {digest}: the history up to this position differs from the one"
                    " that was signed",
                )

    def _gap_hint(self, position: int) -> str:
        previous = self.outcome.position
        if position > previous + 1:
            return f" (positions {previous + 1} to {position - 1} are absent)"
        return ""


class _Cursor:
    """An iterator that can be looked ahead by one."""

    def __init__(self, items: Iterator[Mark]) -> None:
        self._items = items
        self._next: Mark | None = next(items, None)

    def peek(self) -> Mark | None:
        return self._next

    def take(self) -> None:
        self._next = next(self._items, None)


def verify(
    entries: Iterable[Entry],
    checkpoints: Iterable[Iterable[Mark]] = (),
    baseline: Iterable[Mark] = (),
    chain_head: int | None = None,
) -> Outcome:
    """Walk the whole log; raise `ChainBroken` at the first bad position."""
    verifier = Verifier(checkpoints, baseline, chain_head)
    for entry in entries:
        verifier.feed(entry)
    return verifier.finish()


def baseline_marks(entries: Iterable[Entry], label: str = "baseline export") -> Iterator[Mark]:
    """An earlier export as marks: every one of its events must still be there, unchanged."""
    head = GENESIS
    for entry in entries:
        assert entry.event is not None
        head = chain_hash(head, entry.event)
        if entry.claimed != head:
            raise ChainBroken(None, f"the {label} is itself broken at position {entry.position}")
        yield Mark(entry.position, head, label)
