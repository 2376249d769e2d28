"""The real ledger and a plain model, driven side by side on every backend.

After every step: balances sum to 0, no account is outside its limits except through a
reversal (or a later limit change), the ledger agrees with the model, and a second
ledger without a cache, reading the same store, agrees too.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.application import Repository
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from domain.errors import IdempotencyKeyReused, LedgerError
from ledger import BatchRecord, ExchangeRecord, ExchangeRequest, Ledger, parse_database_url
from tests.conftest import PG_ADMIN_URL, require_postgres
from tests.integration.test_ledger_model import Item, Model, Refusal
from tests.unit.support import Clock

ORGS = ("org-a", "org-b", "org-c")  # accounts live in a and b; c is the outsider
EXPIRY_DAYS = 5
MINUTES = st.sampled_from([1, 30, 45, 60, 90, 130])
KEYS = st.sampled_from([None, None, "k1", "k2", "k3"])
RECORDERS = st.sampled_from(["giver", "giver", "receiver", "receiver", "outsider"])
ITEMS = st.lists(
    st.tuples(st.integers(0, 99), st.integers(0, 99), MINUTES, st.booleans()),
    min_size=1,
    max_size=4,
)
MACHINE_SETTINGS = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@dataclass(frozen=True)
class Keyed:
    """What the ledger first answered to one organisation's idempotency key."""

    body: tuple[Item, ...]
    batch: bool
    answer: ExchangeRecord | BatchRecord


@dataclass
class Store:
    """A fresh database for each run of the machine, on one backend."""

    backend: str
    tmp_path: Path

    def new_url(self) -> str:
        name = f"sm_{uuid.uuid4().hex[:12]}"
        if self.backend == "memory":
            return "memory://"
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_path}/{name}.sqlite3"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        # One run is one thread: small pools spare the server's connection slots.
        return f"{PG_ADMIN_URL}?schema={name}&pool_size=1&max_overflow=1"

    def drop(self, url: str) -> None:
        if self.backend == "postgres":
            schema = url.split("schema=", 1)[1].split("&", 1)[0]
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def reloading_ledger(self, url: str, ledger: Ledger, clock: Clock) -> Ledger:
        """A second ledger with no aggregate cache: every read folds stored events."""
        fresh = Ledger(parse_database_url(url), clock=clock, env={"AGGREGATE_CACHE_MAXSIZE": ""})
        assert fresh.repository.cache is None
        if self.backend == "memory":
            # The in-memory store lives inside the first ledger; read it without its cache.
            fresh._repository = Repository(
                event_store=ledger.events, snapshot_store=ledger.snapshots
            )
        return fresh


class LedgerMachine(RuleBasedStateMachine):
    accounts = Bundle("accounts")

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store, self.clock, self.url = store, Clock(), store.new_url()
        self.ledger = Ledger(parse_database_url(self.url), clock=self.clock)
        self.reloaded = store.reloading_ledger(self.url, self.ledger, self.clock)
        self.model = Model(EXPIRY_DAYS)
        self.keyed: dict[tuple[str, str], Keyed] = {}
        self.refs = itertools.count()
        for org in ORGS:
            self.ledger.register_organisation(org, org, pending_expiry_days=EXPIRY_DAYS)

    def teardown(self) -> None:
        self.ledger.close()
        self.reloaded.close()
        self.store.drop(self.url)

    # Checks shared by the steps.

    def refused(self, refusal: Refusal, command: Callable[[], Any]) -> LedgerError:
        """The refusal the model predicts must be the ledger's, with nothing recorded."""
        before = self.ledger.recorder.max_notification_id()
        with pytest.raises(LedgerError) as error:
            command()
        assert type(error.value) is refusal, error.value
        assert self.ledger.recorder.max_notification_id() == before, "a refusal records nothing"
        return error.value

    def judge(self, refusal: Refusal | None, command: Callable[[], Any], status: str) -> None:
        if refusal is not None:
            self.refused(refusal, command)
        else:
            assert command().status == status

    def within_limits_after_moving(self, giver_id: str, receiver_id: str) -> None:
        """The receiver never goes below its credit limit, the giver never above its cap."""
        giver, receiver = self.ledger.get_account(giver_id), self.ledger.get_account(receiver_id)
        assert receiver.balance >= -receiver.credit_limit, receiver
        assert giver.max_balance is None or giver.balance <= giver.max_balance, giver

    # Accounts.

    @initialize(target=accounts)
    def open_the_first_accounts(self) -> Any:
        return multiple(
            *(self.open(org, 120, None) for org in ("org-a", "org-a", "org-b", "org-b"))
        )

    @precondition(lambda self: len(self.model.accounts) < 7)
    @rule(
        target=accounts,
        org=st.sampled_from(ORGS[:2]),
        credit_limit=st.sampled_from([0, 60, 120, 240]),
        cap=st.sampled_from([None, None, 120]),
    )
    def open_account(self, org: str, credit_limit: int, cap: int | None) -> str:
        return self.open(org, credit_limit, cap)

    def open(self, org: str, credit_limit: int, cap: int | None) -> str:
        record = self.ledger.open_account(org, f"m{next(self.refs)}", "person", credit_limit, cap)
        self.model.open(record.id, org, credit_limit, cap)
        return record.id

    @rule(account=accounts, change=st.sampled_from(["close", (0, None), (60, 60), (240, None)]))
    def manage_account(self, account: str, change: str | tuple[int, int | None]) -> None:
        org = self.model.accounts[account].org
        closed = sum(a.status == "closed" for a in self.model.accounts.values())
        if change == "close" and not closed:
            assert self.ledger.close_account(account, org).status == "closed"
            self.model.accounts[account].status = "closed"
        elif isinstance(change, tuple):
            self.ledger.change_limits(account, org, *change)
            self.model.change_limits(account, *change)

    # Recording, one at a time or in batches, with and without idempotency keys.

    @rule(giver=accounts, by=RECORDERS, minutes=MINUTES, key=KEYS, data=st.data())
    def record_exchange(
        self, giver: str, by: str, minutes: int, key: str | None, data: st.DataObject
    ) -> None:
        receiver = data.draw(st.sampled_from(self.others(giver)))
        self.record(self.recorder(by, giver, receiver), ((giver, receiver, minutes),), key)

    @rule(giver=accounts, minutes=MINUTES, key=KEYS, data=st.data())
    def record_exchange_inside_one_organisation(
        self, giver: str, minutes: int, key: str | None, data: st.DataObject
    ) -> None:
        org = self.model.accounts[giver].org
        receiver = data.draw(st.sampled_from(self.others(giver, org)))
        self.record(org, ((giver, receiver, minutes),), key)

    @rule(org=st.sampled_from(ORGS[:2]), picks=ITEMS, key=KEYS)
    def record_batch(
        self, org: str, picks: list[tuple[int, int, int, bool]], key: str | None
    ) -> None:
        """Every item has a party in `org`; which side, and the other party, vary."""
        own = sorted(a for a, account in self.model.accounts.items() if account.org == org)
        body = []
        for i, j, minutes, earns in picks:
            mine = own[i % len(own)]
            others = [a for a in sorted(self.model.accounts) if a != mine]
            other = others[j % len(others)]
            body.append((mine, other, minutes) if earns else (other, mine, minutes))
        self.record(org, tuple(body), key, batch=True)

    def others(self, giver: str, org: str | None = None) -> list[str]:
        """Receivers for a giver: now and then the giver itself, which must be refused."""
        found = sorted(a for a, acc in self.model.accounts.items() if org in (None, acc.org))
        return [a for a in found if a != giver] * 6 + [giver]

    def recorder(self, by: str, giver: str, receiver: str) -> str:
        """Mostly a party's organisation; now and then one that is no party at all."""
        parties = [self.model.accounts[a].org for a in (giver, receiver)]
        return {"giver": parties[0], "receiver": parties[1], "outsider": "org-c"}[by]

    def record(
        self, org: str, body: tuple[Item, ...], key: str | None, batch: bool = False
    ) -> None:
        if key is not None and (org, key) in self.keyed:
            self.send_again(org, key, body, batch)
            return
        outcome = self.model.record(org, list(body), self.clock.today())
        if isinstance(outcome, tuple):
            error = self.refused(outcome[0], lambda: self.send(org, body, key, batch))
            assert not batch or error.extra["index"] == outcome[1]
            return
        answer = self.send(org, body, key, batch)
        records = answer.exchanges if isinstance(answer, BatchRecord) else [answer]
        assert [(r.giver, r.receiver, r.minutes, r.status) for r in records] == [
            (e.giver, e.receiver, e.minutes, e.status) for e in outcome
        ]
        for record, exchange in zip(records, outcome, strict=True):
            self.model.exchanges[record.id] = exchange
            if exchange.status == "completed":
                self.within_limits_after_moving(exchange.giver, exchange.receiver)
        if key is not None:
            self.keyed[(org, key)] = Keyed(body, batch, answer)

    def send(
        self, org: str, body: tuple[Item, ...], key: str | None, batch: bool
    ) -> ExchangeRecord | BatchRecord:
        requests = [ExchangeRequest(giver, receiver, minutes) for giver, receiver, minutes in body]
        if batch:
            return self.ledger.record_batch(org, requests, key)
        return self.ledger.record_exchange(org, requests[0], key)

    def send_again(self, org: str, key: str, body: tuple[Item, ...], batch: bool) -> None:
        """The same key again: the first answer if the body is the same, else a refusal."""
        first = self.keyed[(org, key)]
        if (first.body, first.batch) != (body, batch):
            self.refused(IdempotencyKeyReused, lambda: self.send(org, body, key, batch))
            return
        before = self.ledger.recorder.max_notification_id()
        again = self.send(org, body, key, batch)
        if isinstance(first.answer, BatchRecord):
            replays = [replace(r, replayed=True) for r in first.answer.exchanges]
            assert again == replace(first.answer, replayed=True, exchanges=replays)
        else:
            assert again == replace(first.answer, replayed=True)
        assert self.ledger.recorder.max_notification_id() == before, "a replay records nothing"

    @precondition(lambda self: self.keyed)
    @rule(data=st.data())
    def retry_with_the_same_key_and_body(self, data: st.DataObject) -> None:
        org, key = data.draw(st.sampled_from(sorted(self.keyed)))
        first = self.keyed[(org, key)]
        self.send_again(org, key, first.body, first.batch)

    # What happens to an exchange after it was recorded.

    def pick(self, data: st.DataObject, status: str, reads: str | None = None) -> str:
        """Mostly an exchange in `status` (that reads as `reads` today), sometimes any:
        the refusals need their turn too."""
        today = self.clock.today()
        # In the order recorded: ids are random, and hypothesis must be able to replay a run.
        suitable = [
            e
            for e, ex in self.model.exchanges.items()
            if ex.status == status and ex.status_on(today) == (reads or status)
        ]
        if not suitable or data.draw(st.integers(0, 3)) == 0:
            suitable = list(self.model.exchanges)
        return data.draw(st.sampled_from(suitable))

    @precondition(lambda self: self.model.exchanges)
    @rule(data=st.data(), confirm=st.booleans(), by_awaited=st.booleans())
    def resolve(self, data: st.DataObject, confirm: bool, by_awaited: bool) -> None:
        exchange = self.pick(data, "pending")
        ex = self.model.exchanges[exchange]
        org = ex.awaiting if by_awaited and ex.awaiting else self.model.accounts[ex.giver].org
        today = self.clock.today()
        if confirm:
            refusal = self.model.confirm(exchange, org, today)
            self.judge(refusal, lambda: self.ledger.confirm_exchange(exchange, org), "completed")
            if refusal is None:
                self.within_limits_after_moving(ex.giver, ex.receiver)
        else:
            refusal = self.model.reject(exchange, org, today)
            reject = lambda: self.ledger.reject_exchange(exchange, org, "did not happen")  # noqa: E731
            self.judge(refusal, reject, "rejected")

    @precondition(lambda self: self.model.exchanges)
    @rule(data=st.data(), by=st.sampled_from(["giver", "receiver", "operator", "outsider"]))
    def reverse(self, data: st.DataObject, by: str) -> None:
        exchange = self.pick(data, "completed")
        ex = self.model.exchanges[exchange]
        parties = {self.model.accounts[a].org for a in (ex.giver, ex.receiver)}
        org = {
            "giver": self.model.accounts[ex.giver].org,
            "receiver": self.model.accounts[ex.receiver].org,
            "operator": None,
            "outsider": next(o for o in ORGS if o not in parties),
        }[by]
        refusal = self.model.reverse(exchange, org)
        reverse = lambda: self.ledger.reverse_exchange(exchange, org, "recorded by mistake")  # noqa: E731
        self.judge(refusal, reverse, "reversed")

    @precondition(lambda self: self.model.exchanges)
    @rule(data=st.data())
    def expire(self, data: st.DataObject) -> None:
        exchange = self.pick(data, "pending", reads="expired")
        refusal = self.model.expire(exchange, self.clock.today())
        self.judge(refusal, lambda: self.ledger.expire_exchange(exchange), "expired")

    @rule(days=st.integers(1, 3))
    def time_passes(self, days: int) -> None:
        self.clock.advance(days)

    # Checked after every step.

    @invariant()
    def balances_sum_to_zero(self) -> None:
        assert sum(self.ledger.get_account(a).balance for a in self.model.accounts) == 0

    @invariant()
    def no_account_is_outside_its_limits_except_through_a_reversal(self) -> None:
        for account_id, account in self.model.accounts.items():
            if account.within_limits():
                account.may_be_outside = False
            assert account.may_be_outside or not self.ledger.get_account(account_id).over_limit

    @invariant()
    def the_ledger_agrees_with_the_model(self) -> None:
        self.agrees_with_the_model(self.ledger)

    @invariant()
    def reloading_every_aggregate_from_the_store_gives_the_same_state(self) -> None:
        self.agrees_with_the_model(self.reloaded)

    def agrees_with_the_model(self, ledger: Ledger) -> None:
        for account_id, account in self.model.accounts.items():
            assert account_view(ledger, account_id) == account.view(), account_id
        today = self.clock.today()
        for exchange_id, exchange in self.model.exchanges.items():
            record = ledger.get_exchange(exchange_id)
            seen = (record.giver, record.receiver, record.minutes, record.status)
            expected = (exchange.giver, exchange.receiver, exchange.minutes)
            assert seen == (*expected, exchange.status_on(today)), exchange_id


def account_view(ledger: Ledger, account_id: str) -> tuple[object, ...]:
    a = ledger.get_account(account_id)
    return (a.balance, a.given, a.received, a.status, a.credit_limit, a.max_balance, a.over_limit)


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgres"])
def test_the_ledger_agrees_with_a_plain_model(backend: str, tmp_path: Path) -> None:
    if backend == "postgres":
        require_postgres()
    store = Store(backend, tmp_path)
    # Hypothesis takes any factory here, though its annotation names only classes.
    machine = lambda: LedgerMachine(store)  # noqa: E731
    run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)  # type: ignore[arg-type]
