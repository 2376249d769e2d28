"""What the log's free text has come to: sealed, in clear, erased, or unreadable unexplained.

A note or reason sealed under account keys (ledger/sealing.py) can no longer be opened once
a key is deleted. That is an erasure when the key's account has an
`Account.PersonalDataErased` event in the log; without one, a key went missing some other
way (a restore that lost rows, a table dropped by hand), which the operator must be told
of. The census reads the events once, in order, and asks the key table which keys still
exist a page at a time; an export alone has no key table, so only the database can be
judged this way. Texts in clear are those recorded before texts were sealed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from domain.account import account_id_in
from ledger.sealing import is_sealed, parse

TEXT_FIELDS = ("note", "reason")
ERASED = "Account.PersonalDataErased"
PAGE = 500
# Given key ids, the ones the key table still holds.
ExistingKeys = Callable[[set[str]], set[str]]


@dataclass(frozen=True)
class Unopened:
    """A sealed text some of whose keys are gone: where, and whose keys."""

    position: int
    stream: str
    accounts: frozenset[str]


@dataclass
class TextCensus:
    existing: ExistingKeys
    sealed: int = 0
    in_clear: int = 0
    in_clear_events: list[int] = field(default_factory=list)  # positions, the first 20
    erased_accounts: set[str] = field(default_factory=set)
    unopened: list[Unopened] = field(default_factory=list)
    _parties: dict[str, tuple[str, str]] = field(default_factory=dict)  # exchange stream
    _waiting: list[tuple[int, str, str, str, str, str]] = field(default_factory=list)

    def count(self, event: dict[str, Any]) -> None:
        data, stream = event.get("data") or {}, str(event.get("stream"))
        if event.get("type") == ERASED:
            self.erased_accounts.add(account_id_in(stream))
        if "giver" in data and "receiver" in data:
            self._parties[stream] = (str(data["giver"]), str(data["receiver"]))
        texts = [data[f] for f in TEXT_FIELDS if isinstance(data.get(f), str)]
        if any(not is_sealed(text) for text in texts):
            self.in_clear += 1
            if len(self.in_clear_events) < 20:
                self.in_clear_events.append(int(event["position"]))
        for text in filter(is_sealed, texts):
            self._sealed(int(event["position"]), stream, text)

    def _sealed(self, position: int, stream: str, text: str) -> None:
        self.sealed += 1
        envelope = parse(text)
        giver, receiver = self._parties.get(stream, ("", ""))
        if envelope is None:  # a malformed envelope opens for no one: its keys are "gone"
            self.unopened.append(Unopened(position, stream, frozenset((giver, receiver))))
            return
        self._waiting.append(
            (position, stream, envelope.giver_key, giver, envelope.receiver_key, receiver)
        )
        if len(self._waiting) >= PAGE:
            self._settle()

    def _settle(self) -> None:
        wanted = {k for w in self._waiting for k in (w[2], w[4])}
        found = self.existing(wanted) if wanted else set()
        for position, stream, giver_key, giver, receiver_key, receiver in self._waiting:
            gone = {a for k, a in ((giver_key, giver), (receiver_key, receiver)) if k not in found}
            if gone:
                self.unopened.append(Unopened(position, stream, frozenset(gone)))
        self._waiting.clear()

    def finish(self) -> tuple[list[Unopened], list[Unopened]]:
        """The sealed texts that no longer open: (erased, whose keys went missing unexplained)."""
        self._settle()
        erased = [u for u in self.unopened if u.accounts <= self.erased_accounts]
        missing = [u for u in self.unopened if not u.accounts <= self.erased_accounts]
        return erased, missing
