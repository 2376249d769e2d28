"""Reports at an organisation's full size: one organisation of many accounts, on SQLite.

The data goes in through the ledger itself (accounts saved a thousand at a time, exchanges
by `record_batch`), which takes seconds where a CSV import of the same takes a minute. The
reads are then timed over HTTP: the summary of a calendar year, and the accounts CSV.
"""

from __future__ import annotations

import contextlib
import random
import re
import sqlite3
import statistics
import time
from datetime import date
from pathlib import Path

import httpx

from domain.account import Account, account_stream
from ledger import ExchangeRequest, Ledger, parse_database_url

ORG = "bench-reports"
SAVE_CHUNK = 1000


def fill(url: str, accounts: int, exchanges: int, year: int) -> int:
    """`accounts` accounts and `exchanges` completed exchanges spread over `year`; answers
    the last position recorded."""
    ledger = Ledger(parse_database_url(url))
    try:
        ledger.register_organisation(ORG, "Reports", credit_limit=10**8)
        for start in range(0, accounts, SAVE_CHUNK):
            ledger.save(
                *(_account(f"a{i}") for i in range(start, min(accounts, start + SAVE_CHUNK)))
            )
        pick = random.Random(19)
        first = date(year, 1, 1).toordinal()
        days = date(year, 12, 31).toordinal() - first + 1
        position = 0
        for start in range(0, exchanges, 1000):
            batch = [_exchange(pick, accounts, date.fromordinal(first + pick.randrange(days)))
                     for _ in range(min(1000, exchanges - start))]  # fmt: skip
            position = ledger.record_batch(ORG, batch).position
        return position
    finally:
        ledger.close()


def _account(ref: str) -> Account:
    return Account(id=account_stream(f"{ORG}:{ref}"), organisation=ORG, ref=ref,
                   kind="person", credit_limit=10**8, max_balance=None)  # fmt: skip


def _exchange(pick: random.Random, accounts: int, day: date) -> ExchangeRequest:
    giver = pick.randrange(accounts)
    receiver = (giver + pick.randrange(1, accounts)) % accounts
    return ExchangeRequest(f"{ORG}:a{giver}", f"{ORG}:a{receiver}", 30, day, "garden")


def wait_for_every_projection(path: Path, position: int, timeout: float = 600) -> None:
    """Until every projection (the audit chain and the tree too) has reached `position`, so
    the reads are not timed against a projection worker catching up on the other core.
    (Not `timebank replay`: under a loaded machine its SQLite writer timed out.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
            row = db.execute("SELECT min(position) FROM projection_tracking").fetchone()
        if row is not None and row[0] is not None and row[0] >= position:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the projections did not reach position {position}")


def summary_p99_ms(client: httpx.Client, key: str, year: int, reads: int) -> float:
    """p99 of the year's summary over HTTP, one request at a time."""
    params = {"from": f"{year}-01-01", "to": f"{year}-12-31"}
    headers = {"Authorization": f"Bearer {key}"}
    timings = []
    for _ in range(reads + 1):
        started = time.perf_counter()
        answer = client.get(f"/v1/organisations/{ORG}/summary", params=params, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return _p99(timings[1:])  # the first warms the connection and the caches


def accounts_csv_rows_per_s(client: httpx.Client) -> float:
    """Rows per second of the web app's accounts CSV, read to its end."""
    started = time.perf_counter()
    rows = 0
    with client.stream("GET", f"/app/o/{ORG}/accounts.csv") as answer:
        answer.raise_for_status()
        for chunk in answer.iter_bytes():
            rows += chunk.count(b"\n")
    return (rows - 1) / (time.perf_counter() - started)


def _p99(timings: list[float]) -> float:
    if len(timings) < 2:
        return round(timings[0], 2)
    return round(statistics.quantiles(timings, n=100, method="inclusive")[98], 2)


TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(client: httpx.Client, key: str) -> None:
    """Sign the client in to the web app with `key` (its cookie stays in the client)."""
    found = TOKEN.search(client.get("/app/sign-in").text)
    if found is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    answer = client.post("/app/sign-in", data={"csrf_token": found.group(1), "key": key})
    if answer.status_code >= 400:
        raise RuntimeError(f"sign-in refused: {answer.status_code}")
