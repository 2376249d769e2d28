"""The stored events as plain tuples, read straight from each backend's table.

The backends' SQL lives with their recorders (ledger/recorder.py and its subclasses); every
recorder here is a ledger's, made by the settings, so it has these reads.
"""

from __future__ import annotations

from typing import cast

from eventsourcing.persistence import ApplicationRecorder

from ledger.recorder import LedgerRecorder, StoredRow


def stored_rows(recorder: ApplicationRecorder, after: int, limit: int) -> list[StoredRow]:
    """Rows with positions greater than `after`, oldest first, at most `limit`."""
    return cast(LedgerRecorder, recorder).stored_rows(after, limit)


def page_rows(
    recorder: ApplicationRecorder, after: int, limit: int, types: frozenset[str] | None = None
) -> tuple[list[StoredRow], int, int]:
    """Like `stored_rows`, and the position of the last row read and how many were read.
    With `types`, Postgres leaves out the rows of other events altogether: a projection that
    follows a third of the log neither receives nor skips the other two thirds."""
    return cast(LedgerRecorder, recorder).page_rows(after, limit, types)
