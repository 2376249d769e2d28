"""The clock and new ids reach the ledger through ledger/ports.py: a simulation that installs
its own ports decides what the ledger records."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ledger import ExchangeRequest, Ledger, parse_database_url
from ledger.ports import Ports, install

FIXED = uuid.UUID("00000000-0000-4000-8000-000000000001")
DAY = datetime(2024, 5, 6, 12, tzinfo=UTC)


@pytest.fixture
def seeded() -> Iterator[None]:
    previous = install(Ports(clock=lambda: DAY, new_uuid=lambda: FIXED, chance=random.Random(1)))
    yield
    install(previous)


@pytest.fixture
def ledger(seeded: None) -> Iterator[Ledger]:
    """A ledger made under the seeded ports, with two accounts of one organisation."""
    made = Ledger(parse_database_url("memory://"))
    try:
        made.register_organisation("north", "North")
        for ref in ("ann", "bob"):
            made.open_account("north", ref)
        yield made
    finally:
        made.close()


def test_an_exchange_recorded_without_a_key_takes_its_id_and_date_from_the_ports(
    ledger: Ledger,
) -> None:
    record = ledger.record_exchange("north", ExchangeRequest("north:ann", "north:bob", 30))
    assert record.id == str(FIXED)
    assert record.service_date == DAY.date().isoformat()


def test_every_event_the_ledger_records_is_dated_by_the_installed_clock(ledger: Ledger) -> None:
    record = ledger.record_exchange("north", ExchangeRequest("north:ann", "north:bob", 30))
    streams = ["organisation:north", "account:north:ann", "account:north:bob"]
    events = [e for s in [*streams, f"exchange:{record.id}"] for e in ledger.events.get(s)]
    assert len(events) >= 6
    assert {event.timestamp for event in events} == {DAY}
