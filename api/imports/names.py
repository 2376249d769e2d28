"""Display names from an export, into the directory beside the log (never into an event).

Only the importing organisation's own member accounts are named: a row's other party in
another organisation is that organisation's to name, and an organisation account is no
person. A name the file gives again later in the file wins (exports list the oldest first).
A name already in the directory is kept: a broker may have corrected it since, and running
the same file again must change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.imports.rows import Item
from domain.errors import LedgerError
from domain.rules import check_display_name
from ledger import Ledger


@dataclass
class Names:
    by_account: dict[str, str] = field(default_factory=dict)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line, why)


def names_in(items: list[Item], organisation: str) -> Names:
    """The names the file gives the organisation's own member accounts."""
    names = Names()
    for item in items:
        accounts = (item.request.giver, item.request.receiver)
        for account, kind, name in zip(accounts, item.kinds, item.names, strict=True):
            if not name or kind == "organisation" or not account.startswith(f"{organisation}:"):
                continue
            try:
                names.by_account[account] = check_display_name(name)
            except LedgerError as error:
                names.refused.append((item.line, f"name left out: {error.detail}"))
    return names


def fill_names(ledger: Ledger, organisation: str, names: Names) -> int:
    """Name the accounts that have no display name yet; answer how many were named."""
    named = ledger.display_names(sorted(names.by_account))
    filled = 0
    for account, name in sorted(names.by_account.items()):
        if account not in named:
            ledger.set_display_name(account, organisation, name)
            filled += 1
    return filled
