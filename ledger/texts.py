"""Sealing free text before it becomes an event, and opening it for readers who may see it.

Each account has a data key (made when its first note is sealed), kept wrapped in
`ledger_data_keys`. A text is sealed under its exchange's (or gift's) two account keys
(ledger/sealing.py), so erasing either account deletes what opens it. The writer keeps the
keys it seals with for a short while (`LIVE_SECONDS`): another process's erasure reaches the
notes it seals after at most that long. Reads for the read models always ask the table, so
an erasure in any process is seen by the next read everywhere.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from domain.exchange import exchange_stream
from domain.gift import gift_stream
from ledger import sealing
from ledger.data_key import FileKeyProvider, KeyProvider
from ledger.personal_tables import KEYS, PersonalTables

LIVE_SECONDS = 30.0
JUST_SEALED_MAX = 10_000
_TRIAL_ID = "0" * 16  # the length of a real key id (8 random bytes, hex)
NOTE = "note"
REASON = "reason"
Row = dict[str, Any]


@dataclass(frozen=True)
class Place:
    """Where a text belongs in the log: stream, version and field."""

    stream: str
    version: int
    field: str

    def aad(self) -> bytes:
        return sealing.place(self.stream, self.version, self.field)


def note_place(exchange_id: str) -> Place:
    """An exchange's note is a field of its first event."""
    return Place(exchange_stream(exchange_id), 1, NOTE)


def gift_note_place(gift_id: str) -> Place:
    """A gift's note is a field of its first event, as an exchange's is."""
    return Place(gift_stream(gift_id), 1, NOTE)


class TextVault:
    def __init__(
        self,
        tables: PersonalTables,
        provider: Callable[[], KeyProvider] = FileKeyProvider,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tables = tables
        self._make_provider = provider
        self._provider: KeyProvider | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._live: dict[str, tuple[str, bytes, float]] = {}  # account -> key id, key, since
        self._just_sealed: dict[str, str] = {}  # envelope -> text, until the writer answers

    def provider(self) -> KeyProvider:
        """Made on first use: tools that seal and open nothing make no key file."""
        if self._provider is None:
            self._provider = self._make_provider()
        return self._provider

    def seal(self, text: str | None, giver: str, receiver: str, place: Place) -> str | None:
        if text is None:
            return None
        giver_id, giver_key = self.live_key(giver)
        receiver_id, receiver_key = self.live_key(receiver)
        sealed = sealing.seal(text, (giver_id, giver_key, receiver_id, receiver_key), place.aad())
        if len(self._just_sealed) > JUST_SEALED_MAX:  # answers that never came (refusals)
            self._just_sealed.clear()
        self._just_sealed[sealed] = text
        return sealed

    def seal_trial(self, text: str | None, giver: str, receiver: str, place: Place) -> str | None:
        """Sealed as `seal` would, the same length, under throw-away keys: a dry run makes
        no account key (a write) and keeps nothing."""
        if text is None:
            return None
        keys = (_TRIAL_ID, os.urandom(32), _TRIAL_ID, os.urandom(32))
        return sealing.seal(text, keys, place.aad())

    def live_key(self, account: str) -> tuple[str, bytes]:
        """The key the account's new texts are sealed with; made if it has none."""
        with self._lock:
            held = self._live.get(account)
        if held is not None and self._clock() - held[2] < LIVE_SECONDS:
            return held[0], held[1]
        found = self.tables.keys_of(account)
        if found:
            key_id, key = found[0][0], self._unwrap(found[0])
        else:
            key_id, key = secrets.token_hex(8), os.urandom(32)
            wrapped = self.provider().wrap(key, _context(account, key_id))
            self.tables.put(KEYS, key_id, account, base64.b64encode(wrapped).decode())
        with self._lock:
            self._live[account] = (key_id, key, self._clock())
        return key_id, key

    def open(
        self, value: str | None, place: Place, *, held: bool = False
    ) -> tuple[str | None, bool]:
        """The text and whether it is erased: (text, False), or (None, True) when its keys
        are gone. A text stored in clear, before texts were sealed, reads as it is.
        `held`: the writer, answering what it just recorded, may use what it holds."""
        if held and value is not None and (text := self._just_sealed.pop(value, None)):
            return text, False
        return self.open_all([(value, place)], held=held)[0]

    def open_all(
        self, items: list[tuple[str | None, Place]], *, held: bool = False
    ) -> list[tuple[str | None, bool]]:
        """Many texts with one read of the key table."""
        envelopes = [sealing.parse(value) if value else None for value, _ in items]
        wanted = {k for e in envelopes if e for k in (e.giver_key, e.receiver_key)}
        keys = self._held(wanted) if held else {}
        if wanted - keys.keys():
            keys |= self.keys(wanted - keys.keys())
        return [
            _opened(value, envelope, place, keys)
            for (value, place), envelope in zip(items, envelopes, strict=True)
        ]

    def open_rows(self, rows: Iterable[Row], place_of: Callable[[str], Place] = note_place) -> None:
        """Rows of the read models (exchanges, or gifts with `gift_note_place`), their `note`
        opened and `note_erased` set."""
        rows = list(rows)
        opened = self.open_all([(row["note"], place_of(row["id"])) for row in rows])
        for row, (text, erased) in zip(rows, opened, strict=True):
            row["note"], row["note_erased"] = text, erased

    def keys(self, key_ids: set[str]) -> dict[str, bytes]:
        """The keys of these ids that still exist, from the table."""
        rows = self.tables.get(KEYS, sorted(key_ids))
        return {key_id: self._unwrap(row) for key_id, row in rows.items()}

    def _held(self, key_ids: set[str]) -> dict[str, bytes]:
        with self._lock:
            return {k: key for k, key, _ in self._live.values() if k in key_ids}

    def key_ids_of(self, account: str) -> set[str]:
        return {row[0] for row in self.tables.keys_of(account)}

    def erase(self, account: str) -> int:
        """Delete every key of the account; answer how many there were."""
        with self._lock:
            self._live.pop(account, None)
        deleted = self.tables.delete(KEYS, "account", account)
        sealing.forget_pairs()
        return deleted

    def _unwrap(self, row: tuple[Any, ...]) -> bytes:
        key_id, account, wrapped = row
        return self.provider().unwrap(base64.b64decode(wrapped), _context(account, key_id))


def _context(account: str, key_id: str) -> bytes:
    return f"{account}\x1f{key_id}".encode()


def _opened(
    value: str | None, envelope: sealing.Envelope | None, place: Place, keys: dict[str, bytes]
) -> tuple[str | None, bool]:
    if envelope is None:
        return (None, True) if sealing.is_sealed(value) else (value, False)
    giver_key, receiver_key = keys.get(envelope.giver_key), keys.get(envelope.receiver_key)
    if giver_key is None or receiver_key is None:
        return None, True
    try:
        return sealing.open_envelope(envelope, giver_key, receiver_key, place.aad()), False
    except ValueError:
        return None, True  # moved or altered: it opens nowhere but where it was sealed
