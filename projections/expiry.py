"""Recording expiries: a process manager beside the projections.

A pending exchange past its expiry already reads as expired; recording `Exchange.Expired`
makes the change a fact, so it reaches the change feed, the webhooks and the audit log. The
exchanges view says which pending exchanges are overdue (an index on status), the ledger's
`expire_exchange` records each. Several workers may try the same one: the exchange's
version number lets one save win, and the loser, retried, finds it no longer pending. On an
existing ledger the first pass records every overdue exchange, a bounded batch at a time.
"""

from __future__ import annotations

import logging
import threading

from domain.errors import LedgerError
from ledger import Ledger
from projections.store import Row, ViewStore

log = logging.getLogger(__name__)
BATCH = 500
INTERVAL_SECONDS = 60.0

_OVERDUE = (
    "SELECT id, position FROM {exchanges} WHERE status = 'pending' AND expires_on < ?"
    " AND position > ? ORDER BY position LIMIT ?"
)


def overdue(view: ViewStore, ledger: Ledger, after: int = 0, limit: int = BATCH) -> list[Row]:
    """Pending exchanges whose expiry day has passed, recorded after `after`, oldest first."""
    return view.read(_OVERDUE, (ledger.today().isoformat(), after, limit))


def expire_overdue(view: ViewStore, ledger: Ledger, batch: int = BATCH) -> int:
    """Record the expiry of every overdue exchange the view knows of; how many were recorded.
    The view may still show those just expired as pending: the pages move on by position."""
    recorded, after = 0, 0
    while rows := overdue(view, ledger, after, batch):
        for row in rows:
            try:
                ledger.expire_exchange(row["id"])
                recorded += 1
            except LedgerError:  # expired, confirmed or rejected meanwhile: nothing to do
                continue
        after = int(rows[-1]["position"])
    return recorded


class Expirer:
    """Runs `expire_overdue` now and then every `interval` seconds, in a thread."""

    def __init__(self, view: ViewStore, ledger: Ledger, interval: float = INTERVAL_SECONDS):
        self.view, self.ledger, self.interval = view, ledger, interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="expiry", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if recorded := expire_overdue(self.view, self.ledger):
                    log.info("recorded the expiry of %d exchanges", recorded)
            except Exception:  # the database may be away; try again at the next pass
                log.exception("recording expiries failed; retrying")
            self._stopping.wait(self.interval)
