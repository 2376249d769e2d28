"""How deliveries behave: timeouts, retry pauses, when an endpoint is given up on."""

from __future__ import annotations

import os
from dataclasses import dataclass

TIMEOUT_VAR = "TIMEBANK_WEBHOOK_TIMEOUT_SECONDS"
RETRY_MAX_VAR = "TIMEBANK_WEBHOOK_RETRY_MAX_SECONDS"
DISABLE_AFTER = 20
"""Consecutive failed attempts after which an endpoint is disabled: with pauses doubling from
1 s to an hour, about eight hours of failures. A broker enables it again."""


@dataclass(frozen=True)
class DeliverySettings:
    timeout: float = 10.0  # no answer in this long: the attempt failed
    retry_max: float = 3600.0  # the longest pause between attempts
    disable_after: int = DISABLE_AFTER
    poll: float = 0.25  # the longest wait for new changes
    threads: int = 8  # endpoints delivered to at once
    burst: int = 100  # changes one endpoint is sent before the others get a turn

    @classmethod
    def from_env(cls) -> DeliverySettings:
        return cls(
            timeout=_seconds(TIMEOUT_VAR, 10.0),
            retry_max=_seconds(RETRY_MAX_VAR, 3600.0),
        )

    def pause(self, failures: int) -> float:
        """After the n-th failure in a row: 1 s, 2 s, 4 s ... up to `retry_max`."""
        return float(min(2.0 ** min(failures - 1, 32), self.retry_max))


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= 86_400:
        raise ValueError(f"{name} must be between 0 and 86400 seconds")
    return value
