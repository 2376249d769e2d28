"""A closed ledger says so at once: a caller must never wait forever for an answer."""

from __future__ import annotations

import pytest

from ledger import ExchangeRequest, Ledger, parse_database_url


@pytest.mark.timeout(10)
def test_a_closed_ledger_refuses_reads_and_writes_instead_of_waiting() -> None:
    ledger = Ledger(parse_database_url("memory://"))
    ledger.register_organisation("north", "North")
    ledger.close()

    with pytest.raises(RuntimeError, match="closed"):
        ledger.get_organisation("north")
    with pytest.raises(RuntimeError, match="closed"):
        ledger.record_exchange("north", ExchangeRequest("north:a", "north:b", 5))
