"""Every environment variable the code reads, in one place (12-factor configuration).

Deployment files and docs are checked against this list (tests/unit/test_compose.py), and
the list against the code: a variable read anywhere but missing here fails the tests.
"""

from __future__ import annotations

DATABASE_URL = "TIMEBANK_DATABASE_URL"
ADMIN_KEY = "TIMEBANK_ADMIN_KEY"
SIGNING_KEY = "TIMEBANK_SIGNING_KEY"
ID_KEY = "TIMEBANK_ID_KEY"
DATA_KEY = "TIMEBANK_DATA_KEY"
LOG_LEVEL = "TIMEBANK_LOG_LEVEL"
WEBHOOK_KEY = "TIMEBANK_WEBHOOK_KEY"

CONTRACT = (DATABASE_URL, ADMIN_KEY, SIGNING_KEY)
"""What the public contract promises to configure a deployment with."""

DEPLOYMENT = (*CONTRACT, ID_KEY, DATA_KEY, LOG_LEVEL, WEBHOOK_KEY)
"""What docker-compose.yml may set: the contract's variables, the secret of keyed exchange
ids (every API process and the importer must share it), the master key of personal data
(every API process must share it), the log level, and the key that
seals webhook secrets (the API seals them, the projection worker opens them)."""

ENVIRONMENT: dict[str, str] = {
    DATABASE_URL: "sqlite:///var/timebank.sqlite3 (default) or postgresql://user:pw@host:port/db",
    ADMIN_KEY: "the operator's key (>= 32 characters; revokes a generated one); unset: generated",
    SIGNING_KEY: "path of the Ed25519 PEM key that signs audit checkpoints (default var/)",
    ID_KEY: "path of the secret that turns Idempotency-Keys into exchange ids (default var/)",
    DATA_KEY: "path of the master key that wraps the keys of notes and reasons (default var/)",
    LOG_LEVEL: "DEBUG, INFO (default), WARNING or ERROR",
    "TIMEBANK_MAX_BODY_BYTES": "largest request body the API accepts (default 1 MiB)",
    "TIMEBANK_READY_MAX_LAG": "/readyz fails while read models trail by more events (1000)",
    "TIMEBANK_READY_STALL_SECONDS": "/readyz fails when read models stand still behind (30)",
    "TIMEBANK_RATE_LIMIT": "requests a second per key and API process (default 100; 0: none)",
    "TIMEBANK_ADDRESS_RATE_LIMIT": "requests a second without a valid key, per address (50)",
    "TIMEBANK_CHECKPOINT_EVERY": "events between signed audit checkpoints (default 1000)",
    "TIMEBANK_CHECKPOINT_SECONDS": "longest wait before a checkpoint covers new events (10)",
    "TIMEBANK_METRICS_PUBLIC": "true: /metrics needs no key (default false: admin or auditor)",
    "TIMEBANK_HEADER_TIMEOUT_SECONDS": "longest a client may take to send a request head (10)",
    "TIMEBANK_LIMIT_CONCURRENCY": "connections or requests per API process past which: 503 (256)",
    "TIMEBANK_LOG_ORIGIN": "the transparency log's name in its notes (default <host>/timebank)",
    "TIMEBANK_WITNESS_QUORUM": "organisations whose witnesses must cosign (default: a majority)",
    WEBHOOK_KEY: "path of the key file that seals webhook secrets (default var/webhook-key)",
    "TIMEBANK_WEBHOOK_ALLOW_PRIVATE": "true: webhooks may target loopback/private addresses",
    "TIMEBANK_WEBHOOK_TIMEOUT_SECONDS": "a webhook delivery without an answer this long fails (10)",
    "TIMEBANK_WEBHOOK_RETRY_MAX_SECONDS": "longest pause between webhook retries (default 3600)",
}
