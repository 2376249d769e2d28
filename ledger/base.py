"""The event-sourced application underneath every use case: store, cache, retries, clock."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import Recording, Transcoder

from domain.account import Account, account_stream
from domain.base import LedgerAggregate, LedgerSnapshot
from domain.errors import UnknownAccount, UnknownOrganisation
from domain.organisation import Organisation, organisation_stream
from domain.rules import split_account_id
from ledger.ports import utc_now
from ledger.postgres import creating_tables
from ledger.recorder import LedgerRecorder
from ledger.retry import ConflictListener, LoadedStreams, until_committed
from ledger.settings import Database, database_url, parse_database_url
from ledger.transcoder import OrjsonTranscoder
from ledger.writer import SingleWriter

T = TypeVar("T")
A = TypeVar("A", bound=LedgerAggregate)
Clock = Callable[[], datetime]


def _kept(aggregate: LedgerAggregate) -> bool:
    return isinstance(aggregate, (Account, Organisation))


@contextlib.contextmanager
def _no_lock(env: dict[str, str]) -> Iterator[None]:
    yield


class LedgerBase(Application[str]):
    """Settings chosen by measurement, not by library defaults.

    The aggregate cache is not fast-forwarded: a write reads its accounts from memory,
    never from the database. Another process's write to the same account makes our
    save fail on the version number; the cached copies are then evicted and the whole
    command retried, so a stale cache can cost a retry but never a wrong balance.
    Snapshots bound the cost of a cache miss on an account with a long history.
    Every command runs on one writer thread (ledger/writer.py), which owns the cache, and
    in the one retry loop of ledger/retry.py.
    """

    name = "Ledger"
    env = {
        "ORIGINATOR_ID_TYPE": "text",
        "AGGREGATE_CACHE_MAXSIZE": "50000",
        "AGGREGATE_CACHE_FASTFORWARD": "n",
    }
    snapshotting_intervals = {Account: 100}
    recorder: LedgerRecorder  # the backend's subclass, named by the settings

    def __init__(
        self,
        database: Database | None = None,
        *,
        clock: Clock = utc_now,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database = database or parse_database_url(database_url())
        self.clock = clock
        self.commit_listeners: list[Callable[[int], None]] = []
        self.conflict_listeners: list[ConflictListener] = []
        """Told of each version conflict with another process (`/metrics` counts them)."""
        self.writer = SingleWriter()
        tables = creating_tables if self.database.is_postgres else _no_lock
        with tables(self.database.env):
            super().__init__({**self.database.env, **(env or {})})
        self.loaded = LoadedStreams(self.repository.cache)

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

    def _find(self, stream: str, cls: type[A]) -> A | None:
        if not self.writer.on_writer_thread():
            # The writer thread owns the cache and changes aggregates in place, so anyone
            # else gets a copy made on that thread, between two of its commands: a copy
            # made here could catch an account half way through an exchange.
            found: A | None = self.writer.call(lambda: copy.deepcopy(self._find(stream, cls)))
            return found
        self.loaded.touched().add(stream)
        try:
            aggregate: LedgerAggregate = self.repository.get(stream, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def _by_uuid(
        self, record_id: str, stream_of: Callable[[str], str], cls: type[A], unknown: Exception
    ) -> A:
        """The aggregate an id names (exchanges and gifts are named by UUIDs), or `unknown`
        for an id that is no UUID or names nothing stored."""
        try:
            UUID(record_id)
        except (ValueError, TypeError):
            raise unknown from None
        found = self._find(stream_of(record_id), cls)
        if found is None:
            raise unknown
        return found

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
        self.forget_transient(aggregates)
        if not recordings:
            return self.head_position()
        return max(r.notification.id for r in recordings)

    def forget_transient(self, aggregates: Iterable[LedgerAggregate | None]) -> None:
        """Keep the cache for accounts and organisations: an exchange is rarely touched
        again, and a million of them would push every account out."""
        self.loaded.evict({a.id for a in aggregates if a is not None and not _kept(a)})

    def until_committed(self, command: Callable[[], T], writes: int = 1) -> T:
        """Run a command here, on the writer thread, until it commits without a conflict."""
        return until_committed(command, self.loaded, self.conflict_listeners, writes)

    def _retrying(self, command: Callable[[], T]) -> T:
        """Run a command on the writer thread until it commits without a conflict."""
        return self.writer.call(lambda: self.until_committed(command))  # type: ignore[no-any-return]
