"""Posting with a note against posting without, through the `Ledger` itself: what sealing a
note (ledger/texts.py) costs a write."""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.pg import PgTarget
from bench.writes import MEMBERS, ORG, prepared_ledger
from ledger import ExchangeRequest, Ledger

NOTE = ("Drove to the Tuesday lunch club and back, helped with the shopping on the way. " * 3)[:200]


def notes_figures(target: PgTarget, sizes: dict[str, int]) -> dict[str, Any]:
    with target.schema() as url:
        return {"post_notes_ratio": round(post_notes_ratio(url, sizes), 3)}


def post_notes_ratio(url: str, sizes: dict[str, int]) -> float:
    """Rate with a 200-character note over the rate without, the median of alternating rounds
    in one run on one ledger (the machine's speed drifts over minutes)."""
    ledger = prepared_ledger(url)
    ratios = []
    try:
        _post(ledger, sizes["ratio_posts"], NOTE)  # the accounts' data keys made, caches warm
        for _ in range(max(3, sizes["ratio_rounds"])):
            plain = _post(ledger, sizes["ratio_posts"], None)
            noted = _post(ledger, sizes["ratio_posts"], NOTE)
            ratios.append(noted / plain)
    finally:
        ledger.close()
    return statistics.median(ratios)


def _post(ledger: Ledger, count: int, note: str | None) -> float:
    started = time.perf_counter()
    for i in range(count):
        giver, receiver = f"{ORG}:m{i % MEMBERS}", f"{ORG}:m{(i + 1) % MEMBERS}"
        ledger.record_exchange(ORG, ExchangeRequest(giver, receiver, 10, note=note))
    return count / (time.perf_counter() - started)
