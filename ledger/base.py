"""The event-sourced application underneath every use case: store, cache, retries, clock."""

from __future__ import annotations

import contextlib
import copy
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Recording, Transcoder

from domain.account import Account, account_stream
from domain.base import LedgerAggregate, LedgerSnapshot
from domain.errors import Conflict, LedgerError, UnknownAccount, UnknownOrganisation
from domain.organisation import Organisation, organisation_stream
from domain.rules import split_account_id
from ledger.settings import Database, database_url, parse_database_url
from ledger.store import creating_tables
from ledger.transcoder import OrjsonTranscoder
from ledger.writer import Writer

T = TypeVar("T")
A = TypeVar("A", bound=LedgerAggregate)
Clock = Callable[[], datetime]
MAX_ATTEMPTS = 60


def back_off(attempt: int) -> None:
    """Random, growing pauses after a conflict, so two busy processes stop colliding."""
    time.sleep(random.uniform(0, min(0.05, 0.001 * 2 ** min(attempt, 6))))


def _kept(aggregate: LedgerAggregate) -> bool:
    return isinstance(aggregate, (Account, Organisation))


@contextlib.contextmanager
def _no_lock(env: dict[str, str]) -> Iterator[None]:
    yield


def utc_now() -> datetime:
    return datetime.now(UTC)


class LedgerBase(Application[str]):
    """Settings chosen by measurement, not by library defaults.

    The aggregate cache is not fast-forwarded: a write reads its accounts from memory,
    never from the database. Another process's write to the same account makes our
    save fail on the version number; the cached copies are then evicted and the whole
    command retried, so a stale cache can cost a retry but never a wrong balance.
    Snapshots bound the cost of a cache miss on an account with a long history.
    Every command runs on one writer thread (ledger/writer.py), which owns the cache.
    """

    name = "Ledger"
    env = {
        "ORIGINATOR_ID_TYPE": "text",
        "AGGREGATE_CACHE_MAXSIZE": "50000",
        "AGGREGATE_CACHE_FASTFORWARD": "n",
    }
    snapshotting_intervals = {Account: 100}

    def __init__(
        self,
        database: Database | None = None,
        *,
        clock: Clock = utc_now,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database = database or parse_database_url(database_url())
        self.clock = clock
        self._local = threading.local()
        self.commit_listeners: list[Callable[[int], None]] = []
        self.writer = Writer(self)
        tables = creating_tables if self.database.is_postgres else _no_lock
        with tables(self.database.env):
            super().__init__({**self.database.env, **(env or {})})

    def close(self) -> None:
        self.writer.close()
        super().close()

    def construct_transcoder(self) -> Transcoder:
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[str]]:
        """eventsourcing's `save`, without its per-object protocol checks and with snapshots
        taken from the aggregates in hand rather than rebuilt from the database.

        Measured on the posting path, the protocol `isinstance` checks alone cost about a
        tenth of a millisecond per exchange, and each snapshot two extra queries.
        """
        aggregates = [a for a in objs if a is not None]
        events = [event for a in aggregates for event in a.collect_events()]
        if not events:
            return []
        recordings: list[Recording[str]] = self.events.put(events, **kwargs)
        cache = self.repository.cache
        if cache is not None:
            for aggregate in aggregates:
                cache.put(aggregate.id, aggregate)
        self._snapshot(aggregates, events)
        self._notify(recordings)
        return recordings

    def _snapshot(self, aggregates: list[Any], events: list[Any]) -> None:
        """Snapshot each aggregate whose history just crossed a multiple of its interval."""
        if self.snapshots is None:
            return
        versions: dict[str, list[int]] = {}
        for event in events:
            versions.setdefault(event.originator_id, []).append(event.originator_version)
        due = [a for a in aggregates if self._crossed(a, versions.get(a.id, []))]
        if due:
            self.snapshots.put([LedgerSnapshot.take(a) for a in due])

    def _crossed(self, aggregate: Any, versions: list[int]) -> bool:
        interval = self.snapshotting_intervals.get(type(aggregate))
        return interval is not None and any(v % interval == 0 for v in versions)

    def _notify(self, recordings: list[Recording[str]]) -> None:
        """Tell in-process listeners (projection runners) the log has grown, so they need
        not wait for their next poll."""
        if recordings:
            position = max(r.notification.id for r in recordings)
            for listener in self.commit_listeners:
                listener(position)

    def today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def head_position(self) -> int:
        """The position of the last event recorded (0 before the first); a database ping."""
        return self.recorder.max_notification_id() or 0

    # Loading, with a note of what was loaded so a conflict can evict exactly that.

    def _touched(self) -> set[str]:
        touched: set[str] | None = getattr(self._local, "touched", None)
        if touched is None:
            touched = self._local.touched = set()
        return touched

    def _find(self, stream: str, cls: type[A]) -> A | None:
        if not self.writer.on_writer_thread():
            # The writer thread owns the cache and changes aggregates in place, so anyone
            # else gets a copy made on that thread, between two of its commands: a copy
            # made here could catch an account half way through an exchange.
            found: A | None = self.writer.call(lambda: copy.deepcopy(self._find(stream, cls)))
            return found
        self._touched().add(stream)
        try:
            aggregate: LedgerAggregate = self.repository.get(stream, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def _fresh(self, stream: str) -> Any:
        """Read past the cache: for facts another process may have just changed."""
        try:
            return self.repository.get(stream, version=2**62)
        except AggregateNotFoundError:
            return None

    def _organisation(self, org: str) -> Organisation:
        organisation = self._find(organisation_stream(org), Organisation)
        if organisation is None:
            raise UnknownOrganisation(f"no organisation '{org}'")
        return organisation

    def _account(self, account_id: str) -> Account:
        split_account_id(account_id)
        account = self._find(account_stream(account_id), Account)
        if account is None:
            raise UnknownAccount(f"no account '{account_id}'")
        return account

    def _save(self, *aggregates: LedgerAggregate | None) -> int:
        """Save atomically; the answer is the position of the last event recorded."""
        recordings = self.save(*aggregates)
        self._forget_transient(aggregates)
        if not recordings:
            return self.head_position()
        return max(r.notification.id for r in recordings)

    def _forget_transient(self, aggregates: Iterable[LedgerAggregate | None]) -> None:
        """Keep the cache for accounts and organisations: an exchange is rarely touched
        again, and a million of them would push every account out."""
        self._evict({a.id for a in aggregates if a is not None and not _kept(a)})

    def _retrying(self, command: Callable[[], T]) -> T:
        """Run a command on the writer thread until it commits without a conflict."""
        return self.writer.call(lambda: self._retry_here(command))  # type: ignore[no-any-return]

    def _retry_here(self, command: Callable[[], T]) -> T:
        refreshed = False
        for attempt in range(MAX_ATTEMPTS):
            self._touched().clear()
            try:
                return command()
            except IntegrityError:
                self._evict(self._touched())
                back_off(attempt)
            except LedgerError:
                # Aggregates are changed in place: a refused command may have changed some.
                self._evict(self._touched())
                # A refusal may also rest on a cached copy that another process has since
                # changed: judge once more on fresh state before saying no.
                if refreshed or not self._touched():
                    raise
                refreshed = True
            except BaseException:
                self._evict(self._touched())
                raise
        raise Conflict("too many concurrent changes to the same records; try again")

    def run_group(self, jobs: list[Any]) -> list[Any]:
        raise NotImplementedError

    def _evict(self, streams: set[str]) -> None:
        cache = self.repository.cache
        if cache is None:
            return
        for stream in streams:
            with contextlib.suppress(KeyError):
                cache.get(stream, evict=True)
