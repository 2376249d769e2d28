"""The API's own settings, from the environment (12-factor)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ledger.settings import SettingsError

ADMIN_KEY_VAR = "TIMEBANK_ADMIN_KEY"
ADMIN_KEY_MIN_LENGTH = 32
"""A configured operator key is a password for everything: too short, it can be guessed."""
MiB = 1024 * 1024


@dataclass(frozen=True)
class ApiSettings:
    admin_key: str | None = None
    """The operator's bootstrap key; when unset, one is generated and printed on first start."""
    max_body_bytes: int = MiB
    body_timeout_seconds: float = 30.0
    read_wait_seconds: float = 5.0
    """How long a read with `min_position` waits for the read models."""
    ready_max_lag: int = 1000
    """/readyz answers 503 while the read models trail the log by more events than this."""
    ready_stall_seconds: float = 30.0
    """/readyz answers 503 when the read models, behind the log, stood still this long."""
    rate_limit: float = 100.0
    """Requests a second each key may make on average (bursts of twice that); 0: no limit."""
    address_rate_limit: float = 50.0
    """Requests a second without a valid key, per client address (bursts of twice that)."""
    metrics_public: bool = False
    """/metrics without a key (for a scraper on a private network); else admin or auditor."""

    @classmethod
    def from_env(cls) -> ApiSettings:
        return cls(
            admin_key=configured_admin_key(),
            max_body_bytes=int(os.environ.get("TIMEBANK_MAX_BODY_BYTES", MiB)),
            ready_max_lag=int(os.environ.get("TIMEBANK_READY_MAX_LAG", 1000)),
            ready_stall_seconds=float(os.environ.get("TIMEBANK_READY_STALL_SECONDS", 30.0)),
            rate_limit=float(os.environ.get("TIMEBANK_RATE_LIMIT", 100.0)),
            address_rate_limit=float(os.environ.get("TIMEBANK_ADDRESS_RATE_LIMIT", 50.0)),
            metrics_public=_flag(os.environ.get("TIMEBANK_METRICS_PUBLIC", "false")),
        )


def _flag(text: str) -> bool:
    """Only a clear yes opens anything: a typo keeps the safe default."""
    return text.strip().lower() in ("1", "true", "yes", "on")


def configured_admin_key() -> str | None:
    """TIMEBANK_ADMIN_KEY, refused when it is too short to be a secret."""
    key = os.environ.get(ADMIN_KEY_VAR) or None
    if key is not None and len(key) < ADMIN_KEY_MIN_LENGTH:
        raise SettingsError(
            f"{ADMIN_KEY_VAR} is {len(key)} characters long; it must be at least "
            f"{ADMIN_KEY_MIN_LENGTH} (for example: openssl rand -hex 32)"
        )
    return key
