"""Two processes on one database: a key revoked through one stops working in the other at
once, also when many checks are answered by one read."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from ledger import Ledger, parse_database_url


@pytest.mark.parametrize("backend", ["sqlite_url", "postgres_url"])
def test_a_revocation_through_one_ledger_counts_at_once_in_another(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(backend)
    first, second = Ledger(parse_database_url(url)), Ledger(parse_database_url(url))
    request.addfinalizer(first.close)
    request.addfinalizer(second.close)
    first.register_organisation("north", "North")
    kept, revoked = first.issue_key("broker", "north"), first.issue_key("poster", "north")
    keys = [kept.key, revoked.key, "tbk_nope_secret", kept.key[:-1] + "x"] * 25
    with ThreadPoolExecutor(16) as pool:
        before = list(pool.map(lambda k: second.authenticate(k), keys))
    assert [p and p.role for p in before[:4]] == ["broker", "poster", None, None]
    assert before == before[:4] * 25

    first.revoke_key(revoked.id)
    with ThreadPoolExecutor(16) as pool:
        after = list(pool.map(lambda k: second.authenticate(k), keys))
    assert [p and p.role for p in after[:4]] == ["broker", None, None, None]
    assert after == after[:4] * 25
