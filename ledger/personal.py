"""Personal data: display names, key labels, and erasure by crypto-shredding.

What a broker types about a person (notes, reasons, display names, key labels) is kept out
of the immutable log: free text goes in sealed (ledger/texts.py), names and labels in mutable
tables beside it (ledger/personal_tables.py). Erasing an account deletes its data keys, which
makes every note and reason of its exchanges unreadable in every organisation, and its
display name; the log, the chain and every export stay byte for byte what they were.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from domain.rules import check_display_name, check_request_ref
from ledger.accounts import AccountUseCases
from ledger.base import LedgerBase
from ledger.data_key import DATA_KEY_VAR, FileKeyProvider, KeyProvider
from ledger.personal_tables import DIRECTORY, LABELS, PersonalTables
from ledger.texts import TextVault

# Given the ids of the account's data keys, how many notes they open (the read models know).
NoteCounter = Callable[[set[str]], int]


@dataclass(frozen=True)
class ErasureRecord:
    account: str
    notes_erased: int
    keys_erased: int
    name_erased: bool
    already_erased: bool
    position: int


class PersonalStore(LedgerBase):
    """The tables and the vault, for the use cases that seal, open or name."""

    def __init__(self, *args: Any, key_provider: KeyProvider | None = None, **kwargs: Any) -> None:
        """`key_provider`: what wraps the account keys; by default `TIMEBANK_DATA_KEY`'s file,
        read now if configured (a wrong path stops the start), else made on first use."""
        if key_provider is None and os.environ.get(DATA_KEY_VAR):
            key_provider = FileKeyProvider()
        self._key_provider = key_provider
        super().__init__(*args, **kwargs)

    @cached_property
    def personal_tables(self) -> PersonalTables:
        return PersonalTables(self.recorder, self.database.env)

    @cached_property
    def texts(self) -> TextVault:
        given = self._key_provider
        return TextVault(self.personal_tables, (lambda: given) if given else FileKeyProvider)

    def key_label(self, key_id: str) -> str | None:
        row = self.personal_tables.get(LABELS, [key_id]).get(key_id)
        return None if row is None else str(row[1])


class PersonalDataUseCases(AccountUseCases, PersonalStore):
    def set_display_name(self, account_id: str, organisation: str | None, name: str) -> str:
        """The name a broker knows the account's holder by; kept outside the log."""
        check_display_name(name)
        self._retrying(lambda: self._own_account(account_id, organisation))
        self.personal_tables.put(DIRECTORY, account_id, name)
        return name

    def display_names(self, account_ids: list[str]) -> dict[str, str]:
        rows = self.personal_tables.get(DIRECTORY, account_ids)
        return {account: str(row[1]) for account, row in rows.items()}

    def find_by_display_name(self, organisation: str, text: str, limit: int) -> list[str]:
        """The organisation's accounts whose display name contains `text`, whatever its case,
        by name; at most `limit`."""
        wanted = text.strip().casefold()
        if not wanted:
            return []
        rows = self.personal_tables.directory_of(organisation)
        found = sorted(
            (str(name).casefold(), str(a)) for a, name in rows if wanted in str(name).casefold()
        )
        return [account for _, account in found[:limit]]

    def erase_personal_data(
        self,
        account_id: str,
        organisation: str | None,
        request_ref: str | None,
        count_notes: NoteCounter,
    ) -> ErasureRecord:
        """Delete the account's data keys and display name, record that it was done (counts
        and the request's reference only), and leave no copy in the database's files."""
        check_request_ref(request_ref)
        account = self._retrying(lambda: self._own_account(account_id, organisation))
        key_ids = self.texts.key_ids_of(account_id)
        named = bool(self.display_names([account_id]))
        if not key_ids and not named and account.was_erased:
            return ErasureRecord(account_id, 0, 0, False, True, self.head_position())
        notes = count_notes(key_ids) if key_ids else 0
        keys = self.texts.erase(account_id)
        self.personal_tables.delete(DIRECTORY, "account", account_id)

        def attempt() -> int:
            fresh = self._own_account(account_id, organisation)
            fresh.record_erasure(notes, keys, named, request_ref)
            return self._save(fresh)

        position = self._retrying(attempt)
        self.personal_tables.make_final()
        return ErasureRecord(account_id, notes, keys, named, False, position)

    def finalise_erasures(self) -> str:
        """What `timebank erase finalise` runs: on Postgres, VACUUM (FULL) of the tables."""
        return self.personal_tables.make_final()
