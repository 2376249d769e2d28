"""The log's free text, for the operator: `audit verify --database`'s report on notes and
reasons that no longer open, and `timebank audit plaintext-notes`.

`verify --database` tells an erased text (its account's `Account.PersonalDataErased` is in
the log) from one whose key is missing with no such event: the second is a warning on stderr,
the exit status unchanged, since the chain is intact. An export alone holds no keys, so only
the database can be judged this way (docs/data-protection.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from typing import Any

from ledger import Ledger
from ledger.personal_tables import KEYS
from projections.audit_log import AuditLog
from projections.audit_verify import Entry
from projections.text_census import TextCensus, Unopened

SHOWN = 5


def register(sub: Any) -> None:
    plain = sub.add_parser(
        "plaintext-notes",
        help="count the events whose note or reason is stored in clear (recorded before"
        " notes were sealed)",
    )
    plain.set_defaults(handler=_plaintext_notes)


def census_of(ledger: Ledger) -> TextCensus:
    """A census that asks this ledger's key table which keys still exist."""

    def existing(key_ids: set[str]) -> set[str]:
        return set(ledger.personal_tables.get(KEYS, sorted(key_ids)))

    return TextCensus(existing)


def counted(entries: Iterable[Entry], census: TextCensus) -> Iterator[Entry]:
    """The entries unchanged, each event counted on the way (the verifier reads them anyway)."""
    for entry in entries:
        if entry.event is not None:
            census.count(entry.event)
        yield entry


def report(census: TextCensus) -> list[str]:
    """Lines for stderr: erased texts said as such, unexplained missing keys as a warning."""
    erased, missing = census.finish()
    lines = []
    if erased:
        accounts = len({a for u in erased for a in u.accounts})
        lines.append(
            f"{len(erased)} notes or reasons erased (Account.PersonalDataErased recorded"
            f" for {accounts} accounts)"
        )
    if missing:
        lines.append(
            f"warning: {len(missing)} notes or reasons cannot be opened: an account key is"
            " missing and no Account.PersonalDataErased event explains it"
        )
        lines += [f"  position {u.position} ({u.stream}): {_whose(u)}" for u in missing[:SHOWN]]
    return lines


def _whose(unopened: Unopened) -> str:
    return "key of " + ", ".join(sorted(a or "an unknown account" for a in unopened.accounts))


def _plaintext_notes(args: argparse.Namespace) -> int:
    del args
    ledger = Ledger()
    try:
        census = TextCensus(lambda key_ids: key_ids)  # keys are not asked for
        for entry in AuditLog(ledger.recorder).stored_entries():
            if entry.event is not None:
                census.count(entry.event)
    finally:
        ledger.close()
    print(f"{census.in_clear} events hold a note or reason in clear; {census.sealed} sealed")
    if census.in_clear_events:
        shown = ", ".join(map(str, census.in_clear_events))
        print(f"first at positions: {shown}")
    return 0
