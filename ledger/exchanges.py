"""Exchange use cases: record (one or a batch), confirm, reject, expire, reverse."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError

from domain import exchange as rules_of_exchange
from domain.access import Batch, batch_stream
from domain.account import Account
from domain.base import LedgerAggregate
from domain.errors import (
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    LedgerError,
    SameAccount,
    UnknownExchange,
)
from domain.exchange import COMPLETED, PENDING, Exchange, exchange_stream
from domain.rules import (
    check_category,
    check_minutes,
    check_note,
    check_reason,
    check_service_date,
    split_account_id,
)
from ledger.group_commit import GroupCommit, Workspace
from ledger.keyed_ids import IdKey, KeyedId, keyed_id
from ledger.records import BatchRecord, ExchangeRecord, ExchangeRequest
from ledger.store import last_events, position_of

MAX_BATCH = 1000


def fingerprint(content: object) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class _Recorder:
    """Who records, and under which idempotency key (single exchanges only)."""

    organisation: str
    key_id: str | None
    idempotency_key: str | None
    fingerprint: str | None


@dataclass(frozen=True)
class _ExchangeJob:
    recorder: _Recorder
    request: ExchangeRequest
    idem_id: UUID | None  # a KeyedId: group commit records under it, replays look up both


class ExchangeUseCases(GroupCommit):
    def __init__(self, *args: Any, id_key: bytes | None = None, **kwargs: Any) -> None:
        """`id_key`: the secret of keyed ids; by default `TIMEBANK_ID_KEY`'s file."""
        self.id_key = IdKey(id_key)  # first, so that a wrong TIMEBANK_ID_KEY stops the start
        super().__init__(*args, **kwargs)

    def batch_recorded(self, organisation: str, idempotency_key: str) -> bool:
        """Whether a batch was recorded under this organisation's key (an import's chunk)."""
        stream = self._keyed_stream(self._keyed_id(organisation, idempotency_key))
        return stream is not None and stream.startswith("batch:")

    def record_exchange(
        self,
        organisation: str,
        request: ExchangeRequest,
        idempotency_key: str | None = None,
        key_id: str | None = None,
    ) -> ExchangeRecord:
        """Record one exchange: completed at once inside one organisation, pending across two."""
        job = self._exchange_job(organisation, request, idempotency_key, key_id)
        outcome: ExchangeRecord = self.writer.grouped(job)
        return outcome

    def submit_exchange(
        self,
        organisation: str,
        request: ExchangeRequest,
        idempotency_key: str | None = None,
        key_id: str | None = None,
    ) -> Future[ExchangeRecord]:
        """`record_exchange` without waiting: the future holds its record or its refusal."""
        return self.writer.submit_grouped(
            self._exchange_job(organisation, request, idempotency_key, key_id)
        )

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
        print_ = fingerprint([r.canonical() for r in requests])
        idem_id = None if idempotency_key is None else self._keyed_id(organisation, idempotency_key)
        recorder = _Recorder(organisation, key_id, None, None)

        def attempt() -> BatchRecord:
            if idem_id is not None:
                replay = self._replay_batch(idem_id, print_)
                if replay is not None:
                    return replay
            accounts: dict[str, Account] = {}
            exchanges = []
            for index, request in enumerate(requests):
                exchange_id = str(uuid5(idem_id, str(index)) if idem_id else uuid4())
                try:
                    exchanges.append(self._prepare(recorder, request, exchange_id, accounts))
                except LedgerError as error:
                    error.extra["index"] = index
                    raise
            batch = None
            if idem_id is not None and idempotency_key is not None:
                ids = [e.exchange_id for e in exchanges]
                batch = Batch(
                    id=batch_stream(str(idem_id)),
                    organisation=organisation,
                    idempotency_key=idempotency_key,
                    fingerprint=print_,
                    exchange_ids=ids,
                )
            recordings = self.save(*accounts.values(), *exchanges, batch)
            positions = {r.notification.originator_id: r.notification.id for r in recordings}
            records = [self._record_of(e, positions[e.id]) for e in exchanges]
            return BatchRecord(records, max(positions.values()))

        return self._retrying(attempt)

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
            exchange.reject(organisation, reason, self.today())
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
            rules_of_exchange.reverse(exchange, giver, receiver, organisation, reason)
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
    ) -> _ExchangeJob:
        print_ = fingerprint(request.canonical())
        idem_id = None
        if idempotency_key is not None:
            idem_id = self._keyed_id(organisation, idempotency_key)
        recorder = _Recorder(organisation, key_id, idempotency_key, print_)
        return _ExchangeJob(recorder, request, idem_id)

    def _keyed_id(self, organisation: str, idempotency_key: str) -> KeyedId:
        return keyed_id(self.id_key.secret(), organisation, idempotency_key)

    def _keyed_stream(self, key_id: UUID) -> str | None:
        """The exchange or batch stream a key already names, if any: under its keyed id, or
        under the id it had before ids were keyed, so that a retry after the upgrade finds
        the first answer. One query for all four on Postgres."""
        ids = [key_id, key_id.legacy] if isinstance(key_id, KeyedId) else [key_id]
        streams = [stream(str(id_)) for id_ in ids for stream in (exchange_stream, batch_stream)]
        found = last_events(self.recorder, streams)
        return next((stream for stream in streams if stream in found), None)

    def _exchange(self, exchange_id: str) -> Exchange:
        try:
            UUID(exchange_id)
        except (ValueError, TypeError):
            raise UnknownExchange(f"no exchange '{exchange_id}'") from None
        exchange = self._find(exchange_stream(exchange_id), Exchange)
        if exchange is None:
            raise UnknownExchange(f"no exchange '{exchange_id}'")
        return exchange

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

    def _loaded(self, account_id: str, accounts: dict[str, Account]) -> Account:
        if account_id not in accounts:
            accounts[account_id] = self._account(account_id)
        account = accounts[account_id]
        if isinstance(accounts, Workspace):
            accounts.remember(account_id, account)
        return account

    def _prepare(
        self,
        recorder: _Recorder,
        request: ExchangeRequest,
        exchange_id: str,
        accounts: dict[str, Account],
    ) -> Exchange:
        """Check one request and, if it completes now, move the balances in `accounts`."""
        organisation = recorder.organisation
        today = self.today()
        minutes = check_minutes(request.minutes)
        service_date = check_service_date(request.service_date or today, today)
        check_category(request.category)
        check_note(request.note)
        if request.giver == request.receiver:
            raise SameAccount("giver and receiver must be different accounts")
        # Judged on the ids alone, before any look-up: a refusal that named the account that
        # does not exist would tell the caller which of another organisation's accounts do.
        parties = (split_account_id(request.giver)[0], split_account_id(request.receiver)[0])
        if organisation not in parties:
            raise Forbidden(f"neither party belongs to {organisation}")
        giver = self._loaded(request.giver, accounts)
        receiver = self._loaded(request.receiver, accounts)
        giver.check_open()
        receiver.check_open()
        other = next((org for org in parties if org != organisation), None)
        if other is None:
            rules_of_exchange.check_can_settle(giver, receiver, minutes)
        expires_on = None
        if other is not None:
            days = self._organisation(organisation).pending_expiry_days
            expires_on = (today + timedelta(days=days)).isoformat()
        exchange = Exchange(
            id=exchange_stream(exchange_id),
            giver=request.giver,
            receiver=request.receiver,
            minutes=minutes,
            service_date=service_date.isoformat(),
            category=request.category,
            note=request.note,
            recorded_by=organisation,
            recorded_by_key=recorder.key_id,
            status=PENDING if other else COMPLETED,
            awaiting=other,
            expires_on=expires_on,
            idempotency_key=recorder.idempotency_key,
            fingerprint=recorder.fingerprint,
        )
        if other is None:
            rules_of_exchange.settle(exchange, giver, receiver)
        return exchange

    def _replay_exchange(self, key_id: UUID, print_: str) -> ExchangeRecord | None:
        """The first answer again, also after a restart: it is rebuilt from the stored record."""
        stream = self._keyed_stream(key_id)
        if stream is None:
            return None
        if stream.startswith("batch:"):
            raise IdempotencyKeyReused("this Idempotency-Key was used for a batch")
        original = self._fresh_version(stream, 1)
        assert original is not None, "a keyed stream found is an exchange's"
        if original.fingerprint != print_:
            raise IdempotencyKeyReused("this Idempotency-Key was used with a different body")
        return self._record_of(original, position_of(self.recorder, stream, 1), replayed=True)

    def _replay_batch(self, key_id: UUID, print_: str) -> BatchRecord | None:
        stream = self._keyed_stream(key_id)
        if stream is None:
            return None
        if stream.startswith("exchange:"):
            raise IdempotencyKeyReused("this Idempotency-Key was used for a single exchange")
        batch = self._fresh(stream)
        if batch.fingerprint != print_:
            raise IdempotencyKeyReused("this Idempotency-Key was used with a different body")
        records = []
        for exchange_id in batch.exchange_ids:
            item_stream = exchange_stream(exchange_id)
            original = self._fresh_version(item_stream, 1)
            assert original is not None, "a batch record names only exchanges it recorded"
            records.append(
                self._record_of(original, position_of(self.recorder, item_stream, 1), True)
            )
        return BatchRecord(records, position_of(self.recorder, stream, 1), replayed=True)

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
        return ExchangeRecord(
            id=exchange.exchange_id,
            status=status,
            giver=exchange.giver,
            receiver=exchange.receiver,
            minutes=exchange.minutes,
            service_date=exchange.service_date,
            category=exchange.category,
            note=exchange.note,
            recorded_at=exchange.created_on,
            recorded_by=exchange.recorded_by,
            recorded_by_key=exchange.recorded_by_key,
            position=position,
            replayed=replayed,
        )
