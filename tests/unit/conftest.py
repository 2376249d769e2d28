"""Unit tests run on the in-memory store with a clock the test controls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger import Ledger, parse_database_url
from tests.unit.support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(clock: Clock) -> Iterator[Ledger]:
    ledger = Ledger(parse_database_url("memory://"), clock=clock)
    yield ledger
    ledger.close()


@pytest.fixture
def bank(ledger: Ledger) -> Ledger:
    """Three organisations; every account may go one hour below zero; pending lasts 7 days.

    north: ann, bob, cy    south: dee    east: eve
    """
    for org in ("north", "south", "east"):
        ledger.register_organisation(org, org.title(), credit_limit=60, pending_expiry_days=7)
    for account_id in ("north:ann", "north:bob", "north:cy", "south:dee", "east:eve"):
        org, ref = account_id.split(":")
        ledger.open_account(org, ref)
    return ledger
