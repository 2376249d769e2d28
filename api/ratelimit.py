"""Rate limits, so that one partner's script cannot starve the others, and requests without
a valid key cannot make the server read its database without end."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import HTTPConnection

MAX_BUCKETS = 100_000


class RateLimiter:
    """A token bucket per name: `rate` requests a second on average, bursts up to `burst`.

    Counted in this process: with several worker processes each keeps its own buckets, so a
    name's real allowance is the rate times the number of workers.
    """

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, at)

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, name: str) -> int | None:
        """None if the request may go ahead, else the whole seconds to wait before a retry."""
        if not self.enabled:
            return None
        now = self.clock()
        with self._lock:
            tokens = self._tokens(name, now)
            if tokens >= 1.0:
                self._buckets[name] = (tokens - 1.0, now)
                return None
            self._buckets[name] = (tokens, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._forget_full(now)
        return self._wait(tokens)

    def peek(self, name: str) -> int | None:
        """What `take` would answer, without taking: for costs counted only afterwards."""
        if not self.enabled or name not in self._buckets:
            return None
        with self._lock:
            tokens = self._tokens(name, self.clock())
        return None if tokens >= 1.0 else self._wait(tokens)

    def _tokens(self, name: str, now: float) -> float:
        tokens, at = self._buckets.get(name, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) * self.rate)

    def _wait(self, tokens: float) -> int:
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _forget_full(self, now: float) -> None:
        """A full bucket is the same as none: many names (addresses) cannot grow memory."""
        full = float(self.burst)
        self._buckets = {n: b for n, b in self._buckets.items() if self._tokens(n, now) < full}


@dataclass(frozen=True)
class Limits:
    """One limiter for the API and the pages: per key once a key is known, and per client
    address for requests that bring no valid key (each costs a database read)."""

    keys: RateLimiter
    addresses: RateLimiter

    @classmethod
    def of(cls, per_key: float, per_address: float) -> Limits:
        return cls(
            RateLimiter(per_key, _burst(per_key)), RateLimiter(per_address, _burst(per_address))
        )

    def before_authentication(self, connection: HTTPConnection) -> int | None:
        """Refused before any look-up while the address has failed too often."""
        return self.addresses.peek(address_of(connection))

    def failed_authentication(self, connection: HTTPConnection) -> None:
        self.addresses.take(address_of(connection))

    def for_key(self, key_id: str) -> int | None:
        return self.keys.take(key_id)


def address_of(connection: HTTPConnection) -> str:
    """The client's address (behind a proxy, as uvicorn's --forwarded-allow-ips gives it)."""
    return connection.client.host if connection.client else "unknown"


def _burst(rate: float) -> int:
    return max(1, int(rate * 2))
