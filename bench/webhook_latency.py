"""Webhook delivery latency: from an exchange's commit to the receiver's 2xx, under load.

    python -m bench.webhook_latency [--endpoints 4] [--rate 100] [--seconds 10] [--backlog 2000]
        [--database-url sqlite:///var/bench-webhooks.sqlite3]

One process, as `timebank project` runs it beside a writer: the projections and the delivery
worker in threads, `--endpoints` endpoints of one organisation on a loopback receiver that
answers 204 at once. A writer records `--rate` exchanges a second for `--seconds` (bounded):
each one's latency is the time from `record_exchange` returning (committed) to the first 2xx
answer per endpoint. Then `--backlog` exchanges at once (batches of 100): how many deliveries
a second one endpoint takes while it catches up. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import projections
from ledger import ExchangeRequest, Ledger, parse_database_url
from projections.webhooks.delivery import DeliveryWorker
from projections.webhooks.sealing import Sealer
from projections.webhooks.settings import DeliverySettings
from projections.webhooks.signing import new_secret
from projections.webhooks.table import WebhookTable
from projections.webhooks.targets import ALLOW_PRIVATE_VAR

ORG = "bench"
WAIT_SECONDS = 120.0  # the longest wait for the last deliveries: a bound, not a figure


@dataclass
class Receipts:
    """When each endpoint first acknowledged each change (perf_counter seconds)."""

    seen: dict[tuple[str, int], float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, endpoint: str, position: int) -> None:
        with self.lock:
            self.seen.setdefault((endpoint, position), time.perf_counter())

    def count(self) -> int:
        with self.lock:
            return len(self.seen)


@contextmanager
def receiver(receipts: Receipts) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            receipts.add(self.path, int(self.headers["webhook-id"].removeprefix("chg_")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def steady(ledger: Ledger, rate: float, seconds: float) -> dict[int, float]:
    """Exchanges at `rate` a second for `seconds`: each one's commit time, by position."""
    committed: dict[int, float] = {}
    start, count = time.perf_counter(), int(rate * seconds)
    for n in range(count):
        time.sleep(max(0.0, start + n / rate - time.perf_counter()))
        request = ExchangeRequest(f"{ORG}:a{n % 2}", f"{ORG}:a{1 - n % 2}", 15)
        committed[ledger.record_exchange(ORG, request).position] = time.perf_counter()
    return committed


def backlog(ledger: Ledger, size: int) -> tuple[dict[int, float], float]:
    committed: dict[int, float] = {}
    started = time.perf_counter()
    for first in range(0, size, 100):
        requests = [
            ExchangeRequest(f"{ORG}:a{n % 2}", f"{ORG}:a{1 - n % 2}", 15)
            for n in range(first, min(size, first + 100))
        ]
        recorded = ledger.record_batch(ORG, requests)
        now = time.perf_counter()
        committed.update({e.position: now for e in recorded.exchanges})
    return committed, started


def wait_for(receipts: Receipts, expected: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while receipts.count() < expected and time.monotonic() < deadline:
        time.sleep(0.01)


def latencies(receipts: Receipts, committed: dict[int, float]) -> list[float]:
    with receipts.lock:
        return [at - committed[p] for (_, p), at in receipts.seen.items() if p in committed]


def run(url: str, endpoints: int, rate: float, seconds: float, size: int) -> None:
    """Needs `TIMEBANK_WEBHOOK_ALLOW_PRIVATE=true`: the receiver is on loopback."""
    ledger = Ledger(parse_database_url(url))
    ledger.register_organisation(ORG, "Bench", credit_limit=10**6)
    for ref in ("a0", "a1"):
        ledger.open_account(ORG, ref)
    built = projections.build(ledger)
    built.start(ledger)
    receipts = Receipts()
    with receiver(receipts) as base:
        assert built.read_models.wait_for(ledger.head_position(), timeout=60)
        table, sealer = WebhookTable(built.view), Sealer(os.urandom(32))
        for n in range(endpoints):
            secret = new_secret()
            table.add(ORG, f"{base}/e{n}", None, lambda i, s=secret: sealer.seal(s, i))
        worker = DeliveryWorker(built.view, sealer, DeliverySettings())
        worker.start()
        try:
            _report(ledger, receipts, endpoints, rate, seconds, size)
        finally:
            worker.stop()
            built.stop()
            ledger.close()


def _report(
    ledger: Ledger, receipts: Receipts, endpoints: int, rate: float, seconds: float, size: int
) -> None:
    began = time.perf_counter()
    committed = steady(ledger, rate, seconds)
    achieved = len(committed) / (time.perf_counter() - began)
    wait_for(receipts, endpoints * len(committed))
    found = [1000 * s for s in latencies(receipts, committed)]
    print(f"{ledger.database.kind}, {endpoints} endpoints, {len(committed)} exchanges")
    print(f"  offered {rate:.0f}/s, recorded {achieved:.0f}/s")
    print(
        f"  commit -> 2xx: p50 {percentile(found, 0.5):.1f} ms, p99 {percentile(found, 0.99):.1f}"
        f" ms, max {max(found):.1f} ms ({len(found)} of {endpoints * len(committed)} delivered)"
    )
    before = receipts.count()
    committed, started = backlog(ledger, size)
    wait_for(receipts, before + endpoints * size)
    with receipts.lock:
        last = max(receipts.seen.values())
    each = size / (last - started)
    print(f"  a backlog of {size}: {each:.0f} deliveries/s per endpoint, {each * endpoints:.0f}/s")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhook_latency")
    parser.add_argument("--endpoints", type=int, default=4)
    parser.add_argument("--rate", type=float, default=100.0, help="exchanges a second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    args = parser.parse_args()
    bounded = 1 <= args.endpoints <= 64 and 0 < args.rate <= 5000 and 0 < args.seconds <= 600
    if not bounded or not 1 <= args.backlog <= 100_000:
        parser.error("endpoints 1-64, rate up to 5000/s, seconds up to 600, backlog 1-100000")
    os.environ[ALLOW_PRIVATE_VAR] = "true"  # this process's receiver is on loopback
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        run(url, args.endpoints, args.rate, args.seconds, args.backlog)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
