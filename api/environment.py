"""Every environment variable the code reads, in one place (12-factor configuration).

Deployment files and docs are checked against this list (tests/unit/test_compose.py), and
the list against the code: a variable read anywhere but missing here fails the tests.
"""

from __future__ import annotations

DATABASE_URL = "TIMEBANK_DATABASE_URL"
ADMIN_KEY = "TIMEBANK_ADMIN_KEY"
SIGNING_KEY = "TIMEBANK_SIGNING_KEY"
LOG_LEVEL = "TIMEBANK_LOG_LEVEL"

CONTRACT = (DATABASE_URL, ADMIN_KEY, SIGNING_KEY)
"""What the public contract promises to configure a deployment with."""

DEPLOYMENT = (*CONTRACT, LOG_LEVEL)
"""What docker-compose.yml may set: the contract's variables and the log level."""

ENVIRONMENT: dict[str, str] = {
    DATABASE_URL: "sqlite:///var/timebank.sqlite3 (default) or postgresql://user:pw@host:port/db",
    ADMIN_KEY: "the operator's key (>= 32 characters; revokes a generated one); unset: generated",
    SIGNING_KEY: "path of the Ed25519 PEM key that signs audit checkpoints (default var/)",
    LOG_LEVEL: "DEBUG, INFO (default), WARNING or ERROR",
    "TIMEBANK_MAX_BODY_BYTES": "largest request body the API accepts (default 1 MiB)",
    "TIMEBANK_READY_MAX_LAG": "/readyz fails while read models trail by more events (1000)",
    "TIMEBANK_RATE_LIMIT": "requests a second per key and API process (default 100; 0: none)",
    "TIMEBANK_CHECKPOINT_EVERY": "events between signed audit checkpoints (default 1000)",
    "TIMEBANK_CHECKPOINT_SECONDS": "longest wait before a checkpoint covers new events (10)",
}
