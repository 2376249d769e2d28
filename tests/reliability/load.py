"""Posting threads that know what was acknowledged.

Every exchange goes out with an Idempotency-Key. A 201 is an acknowledgement. A request whose
answer never came (the server died, the database was away: no answer, or 503) is sent again
with the same key and body until a definite answer comes, as a careful client would; so at
the end every request has one, and the ledger must hold exactly the acknowledged exchanges.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.reliability.support import Partner, bearer

RETRYABLE = {429, 503}


@dataclass
class Tally:
    acked: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key -> 201
    refused: dict[str, int] = field(default_factory=dict)  # idempotency key -> 4xx status
    statuses: Counter[int] = field(default_factory=Counter)
    unanswered: int = 0  # transport errors: the connection died, or no answer in time
    server_errors: list[str] = field(default_factory=list)  # 5xx other than 503

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.unanswered


class Load:
    def __init__(
        self, base_url: str, partner: Partner, *, threads: int = 4, max_requests: int = 5000
    ) -> None:
        self.base_url = base_url
        self.partner = partner
        self.threads = threads
        self.max_requests = max_requests
        self.tally = Tally()
        self.unsettled: dict[str, dict[str, Any]] = {}  # sent, no definite answer yet
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._workers: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.threads):
            worker = threading.Thread(target=self._run, args=(random.Random(n),), daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        self._stopping.set()
        for worker in self._workers:
            worker.join(30)

    def settle(self, deadline_seconds: float = 60) -> None:
        """Ask again about every request left without a definite answer."""
        deadline = time.monotonic() + deadline_seconds
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            for key, body in list(self.unsettled.items()):
                while not self.send(client, key, body):
                    assert time.monotonic() < deadline, f"no answer for {key}"
                    time.sleep(0.1)

    def send(self, client: httpx.Client, key: str, body: dict[str, Any]) -> bool:
        """One attempt; true when the answer was definite."""
        headers = {**bearer(self.partner.broker), "Idempotency-Key": key}
        with self._lock:
            self.unsettled[key] = body
        try:
            response = client.post("/v1/exchanges", json=body, headers=headers)
        except httpx.TransportError:
            with self._lock:
                self.tally.unanswered += 1
            return False
        return self._note(key, response)

    def _note(self, key: str, response: httpx.Response) -> bool:
        status = response.status_code
        with self._lock:
            self.tally.statuses[status] += 1
            if status in RETRYABLE:
                return False
            del self.unsettled[key]
            if status == 201:
                self.tally.acked[key] = response.json()
            elif status >= 500:
                self.tally.server_errors.append(f"{status} {response.text[:300]}")
            else:
                self.tally.refused[key] = status
        return True

    def _run(self, rng: random.Random) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            pending: tuple[str, dict[str, Any]] | None = None
            while not self._stopping.is_set() and self.tally.requests < self.max_requests:
                key, body = pending or (str(uuid.uuid4()), self._exchange(rng))
                pending = None if self.send(client, key, body) else (key, body)
                if pending:
                    time.sleep(0.05)  # the server is restarting, or the database is away

    def _exchange(self, rng: random.Random) -> dict[str, Any]:
        giver, receiver = rng.sample(self.partner.accounts, 2)
        return {"giver": giver, "receiver": receiver, "minutes": rng.randint(1, 90)}
