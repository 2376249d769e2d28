"""Standard Webhooks signatures (standardwebhooks.com), the symmetric scheme.

`webhook-signature: v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`, keyed with the
base64-decoded part of a `whsec_` secret. Checked against the specification's own known
answer (tests/unit/test_webhook_signing.py).
"""

from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives import hashes, hmac

PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header's value for one delivery."""
    mac = hmac.HMAC(key_of(secret), hashes.SHA256())
    mac.update(f"{message_id}.{timestamp}.".encode() + body)
    return "v1," + base64.b64encode(mac.finalize()).decode()
