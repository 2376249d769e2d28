"""Exchange use cases: record (one or a batch), check a batch, confirm, reject, expire, reverse."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain import exchange as rules_of_exchange
from domain.access import Batch, batch_stream, is_batch_stream
from domain.base import LedgerAggregate
from domain.errors import (
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    LedgerError,
    UnknownExchange,
)
from domain.exchange import Exchange, Provenance, Terms, exchange_stream, is_exchange_stream
from domain.rules import check_reason, split_account_id
from ledger.batch_check import BatchCheck, Opening, ScratchAccounts, check_each
from ledger.group_commit import Author, ExchangeJob, ExchangeSteps, GroupCommit, Workspace
from ledger.idempotency import KeyedFingerprints, batch_item_id, fingerprint
from ledger.keyed_ids import IdKey, KeyedId, keyed_id
from ledger.personal import PersonalStore
from ledger.records import BatchRecord, ExchangeRecord, ExchangeRequest
from ledger.texts import REASON, Place, note_place

MAX_BATCH = 1000


class ExchangeUseCases(PersonalStore):
    def __init__(self, *args: Any, id_key: bytes | None = None, **kwargs: Any) -> None:
        """`id_key`: the secret of keyed ids; by default `TIMEBANK_ID_KEY`'s file."""
        self.id_key = IdKey(id_key)  # first, so that a wrong TIMEBANK_ID_KEY stops the start
        self._fingerprints: KeyedFingerprints | None = None  # made when the key is first read
        super().__init__(*args, **kwargs)
        steps = ExchangeSteps(self._replayed_exchange, self._prepare, self._record_of)
        self.group_commit = GroupCommit(self, steps)

    def batch_recorded(self, organisation: str, idempotency_key: str) -> bool:
        """Whether a batch was recorded under this organisation's key (an import's chunk)."""
        stream = self._keyed_stream(self._keyed_id(organisation, idempotency_key))
        return stream is not None and is_batch_stream(stream)

    def record_exchange(
        self,
        organisation: str,
        request: ExchangeRequest,
        idempotency_key: str | None = None,
        key_id: str | None = None,
    ) -> ExchangeRecord:
        """Record one exchange: completed at once inside one organisation, pending across two."""
        job = self._exchange_job(organisation, request, idempotency_key, key_id)
        outcome: ExchangeRecord = self.writer.grouped(self.group_commit, job)
        return outcome

    def submit_exchange(
        self,
        organisation: str,
        request: ExchangeRequest,
        idempotency_key: str | None = None,
        key_id: str | None = None,
    ) -> Future[ExchangeRecord]:
        """`record_exchange` without waiting: the future holds its record or its refusal."""
        job = self._exchange_job(organisation, request, idempotency_key, key_id)
        return self.writer.submit_grouped(self.group_commit, job)

    def record_batch(
        self,
        organisation: str,
        requests: list[ExchangeRequest],
        idempotency_key: str | None = None,
        key_id: str | None = None,
    ) -> BatchRecord:
        """All or nothing; each item sees the balances left by the items before it."""
        if not 1 <= len(requests) <= MAX_BATCH:
            raise InvalidRequest(f"a batch holds 1 to {MAX_BATCH} exchanges")
        content = self._fingerprint([r.canonical() for r in requests])
        idem_id = None if idempotency_key is None else self._keyed_id(organisation, idempotency_key)
        author = Author(organisation, Provenance(recorded_by_key=key_id))
        key = None if idem_id is None else _BatchKey(idem_id, idempotency_key or "", content)
        return self._retrying(lambda: self._record_batch(author, requests, key))

    def check_batch(
        self, organisation: str, requests: list[ExchangeRequest], opening: Opening | None = None
    ) -> BatchCheck:
        """What `record_batch` would refuse, every item's refusal rather than the first, and
        nothing recorded. Of any length: an import checks its whole file at once."""
        author = Author(organisation, Provenance())

        def attempt() -> BatchCheck:
            accounts = ScratchAccounts(self._organisation(organisation), opening)
            return check_each(self._prepare_trial, author, requests, accounts)

        check: BatchCheck = self.writer.call(attempt)
        return check

    def confirm_exchange(self, exchange_id: str, organisation: str | None) -> ExchangeRecord:
        """The awaited organisation confirms; balances move now and limits are checked now."""

        def attempt() -> ExchangeRecord:
            exchange = self._party_exchange(exchange_id, organisation)
            giver, receiver = self._account(exchange.giver), self._account(exchange.receiver)
            rules_of_exchange.confirm(exchange, giver, receiver, organisation, self.today())
            return self._record_of(exchange, self._save(giver, receiver, exchange))

        return self._retrying(attempt)

    def reject_exchange(
        self, exchange_id: str, organisation: str | None, reason: str
    ) -> ExchangeRecord:
        check_reason(reason)

        def attempt() -> ExchangeRecord:
            exchange = self._party_exchange(exchange_id, organisation)
            exchange.reject(organisation, self._sealed_reason(exchange, reason), self.today())
            return self._record_of(exchange, self._save(exchange))

        return self._retrying(attempt)

    def expire_exchange(self, exchange_id: str) -> ExchangeRecord:
        """Record that a pending exchange passed its expiry (it already reads as expired)."""

        def attempt() -> ExchangeRecord:
            exchange = self._exchange(exchange_id)
            exchange.expire(self.today())
            return self._record_of(exchange, self._save(exchange))

        return self._retrying(attempt)

    def reverse_exchange(
        self, exchange_id: str, organisation: str | None, reason: str
    ) -> ExchangeRecord:
        """A compensating record; the original stays in history."""
        check_reason(reason)

        def attempt() -> ExchangeRecord:
            exchange = self._party_exchange(exchange_id, organisation)
            giver, receiver = self._account(exchange.giver), self._account(exchange.receiver)
            sealed = self._sealed_reason(exchange, reason)
            rules_of_exchange.reverse(exchange, giver, receiver, organisation, sealed)
            return self._record_of(exchange, self._save(giver, receiver, exchange))

        return self._retrying(attempt)

    def get_exchange(self, exchange_id: str) -> ExchangeRecord:
        exchange = self._exchange(exchange_id)
        return self._record_of(exchange, 0)

    # Steps shared by the use cases above.

    def _exchange_job(
        self,
        organisation: str,
        request: ExchangeRequest,
        idempotency_key: str | None,
        key_id: str | None,
    ) -> ExchangeJob:
        content = self._fingerprint(request.canonical())
        idem_id = None
        if idempotency_key is not None:
            idem_id = self._keyed_id(organisation, idempotency_key)
        author = Author(organisation, Provenance(key_id, idempotency_key, content))
        return ExchangeJob(author, request, idem_id)

    def _fingerprint(self, content: object) -> str:
        """Keyed, so that a fingerprint in the log confirms no guessed note."""
        if self._fingerprints is None:
            self._fingerprints = KeyedFingerprints(self.id_key.secret())
        return self._fingerprints(content)

    def _sealed_reason(self, exchange: Exchange, reason: str) -> str:
        """The reason sealed for the exchange's next event, the one that will carry it."""
        place = Place(exchange.id, exchange.version + 1, REASON)
        sealed = self.texts.seal(reason, exchange.giver, exchange.receiver, place)
        assert sealed is not None, "a reason is never None"
        return sealed

    def _keyed_id(self, organisation: str, idempotency_key: str) -> KeyedId:
        return keyed_id(self.id_key.secret(), organisation, idempotency_key)

    def _keyed_stream(self, key_id: UUID) -> str | None:
        """The exchange or batch stream a key already names, if any: under its keyed id, or
        under the id it had before ids were keyed, so that a retry after the upgrade finds
        the first answer. One query for all four on Postgres."""
        ids = [key_id, key_id.legacy] if isinstance(key_id, KeyedId) else [key_id]
        streams = [stream(str(id_)) for id_ in ids for stream in (exchange_stream, batch_stream)]
        found = self.recorder.last_events(streams)
        return next((stream for stream in streams if stream in found), None)

    def _party_exchange(self, exchange_id: str, organisation: str | None) -> Exchange:
        """The exchange, for one of its parties' organisations or the operator (None). Any
        other organisation hears the same refusal whether or not the exchange exists."""
        try:
            exchange = self._exchange(exchange_id)
        except UnknownExchange:
            if organisation is None:
                raise
            raise rules_of_exchange.not_a_party(exchange_id) from None
        if organisation is not None and organisation not in exchange.parties():
            raise rules_of_exchange.not_a_party(exchange_id)
        return exchange

    def _exchange(self, exchange_id: str) -> Exchange:
        unknown = UnknownExchange(f"no exchange '{exchange_id}'")
        return self._by_uuid(exchange_id, exchange_stream, Exchange, unknown)

    def _record_batch(
        self, author: Author, requests: list[ExchangeRequest], key: _BatchKey | None
    ) -> BatchRecord:
        if key is not None:
            legacy = fingerprint([r.canonical() for r in requests])
            replay = self._replayed_batch(key.id, (key.fingerprint, legacy))
            if replay is not None:
                return replay
        accounts = Workspace()
        exchanges = self._prepare_all(author, requests, key.id if key else None, accounts)
        batch = key.record(author.organisation, [e.exchange_id for e in exchanges]) if key else None
        recordings = self.save(*accounts.values(), *exchanges, batch)
        positions = {r.notification.originator_id: r.notification.id for r in recordings}
        records = [self._record_of(e, positions[e.id]) for e in exchanges]
        return BatchRecord(records, max(positions.values()))

    def _prepare_all(
        self, author: Author, requests: list[ExchangeRequest], batch_id: UUID | None,
        accounts: Workspace,
    ) -> list[Exchange]:  # fmt: skip
        exchanges = []
        for index, request in enumerate(requests):
            try:
                exchange_id = batch_item_id(batch_id, index)
                exchanges.append(self._prepare(author, request, exchange_id, accounts))
            except LedgerError as error:
                error.extra["index"] = index
                raise
        return exchanges

    def _prepare_trial(
        self, author: Author, request: ExchangeRequest, exchange_id: str, accounts: Workspace
    ) -> Exchange:
        """As `_prepare`, for a dry run: the note sealed under throw-away keys, so checking
        a batch creates no account key."""
        return self._prepare(author, request, exchange_id, accounts, trial=True)

    def _prepare(
        self,
        author: Author,
        request: ExchangeRequest,
        exchange_id: str,
        accounts: Workspace,
        *,
        trial: bool = False,
    ) -> Exchange:
        """Load, authorise, and let the domain record the exchange (moving the balances in
        `accounts` if it completes now)."""
        today = self.today()
        terms = Terms.checked(
            request.giver, request.receiver, request.minutes, request.service_date or today,
            request.category, request.note, today,
        )  # fmt: skip
        self._authorise(author.organisation, request.giver, request.receiver)
        giver = accounts.load(request.giver, self._account)
        receiver = accounts.load(request.receiver, self._account)
        if terms.note is not None:  # most exchanges carry none: nothing to seal, no copy
            seal = self.texts.seal_trial if trial else self.texts.seal
            sealed = seal(terms.note, terms.giver, terms.receiver, note_place(exchange_id))
            terms = replace(terms, note=sealed)
        org = author.organisation
        return rules_of_exchange.record(
            exchange_id, terms, giver, receiver, org, lambda: self._organisation(org),
            author.provenance, today,
        )  # fmt: skip

    @staticmethod
    def _authorise(organisation: str, giver: str, receiver: str) -> None:
        """At least one party must belong to the organisation that records. Judged on the ids
        alone, before any look-up: a refusal that named the account that does not exist would
        tell the caller which of another organisation's accounts do."""
        if organisation not in (split_account_id(giver)[0], split_account_id(receiver)[0]):
            raise Forbidden(f"neither party belongs to {organisation}")

    def _replayed_exchange(self, job: ExchangeJob) -> ExchangeRecord | None:
        """The first answer again, also after a restart: it is rebuilt from the stored record."""
        assert job.idem_id is not None, "only keyed jobs are replayed"
        stream = self._keyed_stream(job.idem_id)
        if stream is None:
            return None
        if is_batch_stream(stream):
            raise IdempotencyKeyReused("this Idempotency-Key was used for a batch")
        original = self._fresh_version(stream, 1)
        assert original is not None, "a keyed stream found is an exchange's"
        sent = job.author.provenance.fingerprint
        if original.fingerprint != sent and original.fingerprint != _legacy(job.request):
            raise IdempotencyKeyReused("this Idempotency-Key was used with a different body")
        return self._record_of(original, self.recorder.position_of(stream, 1), replayed=True)

    def _replayed_batch(self, key_id: UUID, content: tuple[str, str]) -> BatchRecord | None:
        """`content`: the body's fingerprint, keyed and as it was before keys."""
        stream = self._keyed_stream(key_id)
        if stream is None:
            return None
        if is_exchange_stream(stream):
            raise IdempotencyKeyReused("this Idempotency-Key was used for a single exchange")
        batch = self._fresh(stream)
        assert batch is not None, "a keyed stream found is a batch's"
        if batch.fingerprint not in content:
            raise IdempotencyKeyReused("this Idempotency-Key was used with a different body")
        records = []
        for exchange_id in batch.exchange_ids:
            item_stream = exchange_stream(exchange_id)
            original = self._fresh_version(item_stream, 1)
            assert original is not None, "a batch record names only exchanges it recorded"
            records.append(
                self._record_of(original, self.recorder.position_of(item_stream, 1), True)
            )
        return BatchRecord(records, self.recorder.position_of(stream, 1), replayed=True)

    def _fresh_version(self, stream: str, version: int) -> Exchange | None:
        try:
            exchange: LedgerAggregate = self.repository.get(stream, version=version)
        except AggregateNotFoundError:
            return None
        return exchange if isinstance(exchange, Exchange) else None

    def _record_of(
        self, exchange: Exchange, position: int, replayed: bool = False
    ) -> ExchangeRecord:
        # A replay answers as the first answer did, whatever happened to the exchange since.
        status = exchange.status if replayed else exchange.status_on(self.today())
        note, erased = self._note_of(exchange)
        return ExchangeRecord(
            id=exchange.exchange_id,
            status=status,
            giver=exchange.giver,
            receiver=exchange.receiver,
            minutes=exchange.minutes,
            service_date=exchange.service_date,
            category=exchange.category,
            note=note,
            note_erased=erased,
            recorded_at=exchange.created_on,
            recorded_by=exchange.recorded_by,
            recorded_by_key=exchange.recorded_by_key,
            position=position,
            replayed=replayed,
        )

    def _note_of(self, exchange: Exchange) -> tuple[str | None, bool]:
        """The note as its record shows it, and whether it is erased; none, nothing to open."""
        if exchange.note is None:
            return None, False
        return self.texts.open(exchange.note, note_place(exchange.exchange_id), held=True)


def _legacy(request: ExchangeRequest) -> str:
    """The unkeyed fingerprint exchanges were recorded with before fingerprints were keyed."""
    return fingerprint(request.canonical())


@dataclass(frozen=True)
class _BatchKey:
    """A batch's idempotency key, its record id, and the fingerprint of the body sent."""

    id: UUID
    key: str
    fingerprint: str

    def record(self, organisation: str, exchange_ids: list[str]) -> Batch:
        return Batch(
            id=batch_stream(str(self.id)),
            organisation=organisation,
            idempotency_key=self.key,
            fingerprint=self.fingerprint,
            exchange_ids=exchange_ids,
        )
