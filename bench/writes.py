"""Writes through the `Ledger` itself: one at a time, and on accounts with a long history."""

from __future__ import annotations

import statistics
import time

from bench import dblimit
from bench.pg import PgTarget
from ledger import ExchangeRequest, Ledger, parse_database_url

ORG = "bench-org"
MEMBERS = 20


def prepared_ledger(url: str, members: int = MEMBERS) -> Ledger:
    ledger = Ledger(parse_database_url(url))
    ledger.register_organisation(ORG, "Bench", credit_limit=10**9)
    for i in range(members):
        ledger.open_account(ORG, f"m{i}")
    return ledger


def post_sequential(url: str, count: int) -> float:
    """Exchanges per second, one `record_exchange` call after another."""
    ledger = prepared_ledger(url)
    try:
        return _post(ledger, count, _neighbours)
    finally:
        ledger.close()


def sequential_ratio(url: str, target: PgTarget, rounds: int, count: int) -> float:
    """Sequential posting over the database's one-client commit rate, the median of rounds
    that measure one right after the other: the machine's speed drifts over minutes, so two
    figures taken minutes apart can be off by a quarter against each other."""
    ledger = prepared_ledger(url)
    ratios = []
    try:
        for _ in range(rounds):
            limit = dblimit.insert_tps(target, 1, seconds=1)
            rate = _post(ledger, count, _neighbours)
            ratios.append(rate / limit)
    finally:
        ledger.close()
    return statistics.median(ratios)


def _neighbours(i: int) -> tuple[str, str]:
    """The i-th exchange's giver and receiver: each member gives to the next, in turn."""
    return f"m{i % MEMBERS}", f"m{(i + 1) % MEMBERS}"


def post_history_ratio(url: str, history: int, count: int) -> dict[str, float]:
    """Posting rate on two accounts with `history` prior events each, over fresh accounts.

    Both runs start from a new `Ledger` (an empty cache), as after a restart: the first
    write on the old accounts must load them, from a snapshot plus a few events.
    """
    ledger = prepared_ledger(url, members=4)
    old = [
        ExchangeRequest(f"{ORG}:m0", f"{ORG}:m1", 1),
        ExchangeRequest(f"{ORG}:m1", f"{ORG}:m0", 1),
    ]
    for start in range(0, history, 1000):
        ledger.record_batch(ORG, [old[i % 2] for i in range(min(1000, history - start))])
    ledger.close()
    rates = {}
    for label, pair in (("old", ("m0", "m1")), ("fresh", ("m2", "m3"))):
        ledger = Ledger(parse_database_url(url))
        rates[label] = _post(ledger, count, lambda i, p=pair: (p[i % 2], p[(i + 1) % 2]))
        ledger.close()
    return {"old_per_s": rates["old"], "fresh_per_s": rates["fresh"],
            "ratio": rates["old"] / rates["fresh"]}  # fmt: skip


def _post(ledger: Ledger, count: int, pair_of: object) -> float:
    assert callable(pair_of)
    started = time.perf_counter()
    for i in range(count):
        giver, receiver = pair_of(i)
        ledger.record_exchange(ORG, ExchangeRequest(f"{ORG}:{giver}", f"{ORG}:{receiver}", 10))
    return count / (time.perf_counter() - started)
