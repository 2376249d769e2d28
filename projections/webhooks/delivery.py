"""The delivery worker: every endpoint follows its organisation's change feed, in order.

Each endpoint has at most one delivery in flight, in a pool of threads: an endpoint that
never answers holds one thread for at most its timeout, and the others carry on. After a
run of `burst` changes an endpoint goes to the back of the queue, so a busy one cannot
starve the rest either. The worker wakes when the views advance (in this process) or after
`poll` seconds, and never writes to the views or the log: it cannot hold up the projections,
and the API does not wait for it. On Postgres one process delivers at a time (a lock).

A delivery's `exchange` is the exchange as `GET /v1/exchanges/{id}` answers it: its note is
opened with the ledger's data keys (`open_notes`, as the read models open the feed's), so
the projection process needs `TIMEBANK_DATA_KEY`; after an erasure it is null.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from ledger.ports import wall_seconds
from projections.feed_reads import changes
from projections.readmodels import OpenNotes, unreadable_notes
from projections.store import Row, ViewStore
from projections.webhooks.sealing import Sealer
from projections.webhooks.sending import client, send
from projections.webhooks.settings import DeliverySettings
from projections.webhooks.table import WebhookTable

log = logging.getLogger(__name__)
LOCK_NAME = "webhook_delivery"
Exclusive = Callable[[str], contextlib.AbstractContextManager[bool]]


@contextlib.contextmanager
def _alone(name: str) -> Iterator[bool]:
    yield True


class DeliveryWorker:
    def __init__(
        self,
        view: ViewStore,
        sealer: Sealer,
        settings: DeliverySettings | None = None,
        exclusive: Exclusive = _alone,
        open_notes: OpenNotes = unreadable_notes,
    ) -> None:
        self.view, self.sealer = view, sealer
        self.open_notes = open_notes
        self.settings = settings or DeliverySettings.from_env()
        self.table = WebhookTable(view)
        self.exclusive = exclusive
        self._pool = ThreadPoolExecutor(self.settings.threads, thread_name_prefix="webhook")
        self._in_flight: dict[str, Future[None]] = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        with self.view.advanced:
            self.view.advanced.notify_all()
        self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run_once(self) -> None:
        """Give every due endpoint its turn, and wait for all of them (tests, scripts)."""
        for endpoint in self.table.due(wall_seconds()):
            self._deliver(endpoint)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with self.exclusive(LOCK_NAME) as mine:
                    if not mine:
                        return
                    self._follow()
            except Exception:  # the database went away: the state is in it, start again
                log.exception("webhook delivery failed; retrying")
                self._stopping.wait(1.0)

    def _follow(self) -> None:
        while not self._stopping.is_set():
            self._in_flight = {k: f for k, f in self._in_flight.items() if not f.done()}
            for endpoint in self.table.due(wall_seconds()):
                if endpoint["id"] not in self._in_flight:
                    self._in_flight[endpoint["id"]] = self._pool.submit(self._deliver, endpoint)
            with self.view.advanced:
                self.view.advanced.wait(self.settings.poll)

    def _deliver(self, endpoint: Row) -> None:
        """Up to `burst` changes to one endpoint, in order, until one fails or none is left."""
        try:
            secret = self.sealer.open(endpoint["sealed_secret"], endpoint["id"])
            with client(self.settings.timeout) as http:
                sent = 0
                while page := self._next_changes(endpoint):
                    for change in page:
                        if sent >= self.settings.burst or self._stopping.is_set():
                            return
                        attempt = send(http, endpoint["url"], secret, change)
                        pause = self.settings.pause(endpoint["failures"] + 1)
                        self.table.record(endpoint, attempt, pause, self.settings.disable_after)
                        if not attempt.delivered:
                            return
                        endpoint = {
                            **endpoint,
                            "cursor": attempt.position,
                            "failures": 0,
                            "attempts": 0,
                        }
                        sent += 1
        except Exception:  # one endpoint's trouble is logged, and costs the others nothing
            log.exception("delivery to webhook %s failed", endpoint["id"])

    def _next_changes(self, endpoint: Row) -> list[Row]:
        """The next changes of the types the endpoint wants (a page of them); past the
        others, the cursor moves on."""
        wanted = endpoint["types"]
        while True:
            page, _ = changes(self.view, endpoint["organisation"], str(endpoint["cursor"]), 100)
            found = [c for c in page if wanted is None or c["type"] in wanted]
            if found or not page:
                self.open_notes([c["exchange"] for c in found if "exchange" in c])
                return found
            self.table.skip_to(endpoint, page[-1]["position"])
            endpoint["cursor"] = page[-1]["position"]
