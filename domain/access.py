"""Access keys and idempotency records: who may act, and what was already answered."""

from __future__ import annotations

from eventsourcing.domain import event

from domain.base import LedgerAggregate

ROLES = ("admin", "broker", "poster", "auditor")


def key_stream(key_id: str) -> str:
    return f"key:{key_id}"


BATCH_STREAM_PREFIX = "batch:"


def batch_stream(batch_id: str) -> str:
    return f"{BATCH_STREAM_PREFIX}{batch_id}"


def is_batch_stream(stream: str) -> bool:
    return stream.startswith(BATCH_STREAM_PREFIX)


class AccessKey(LedgerAggregate):
    """Only a hash of the secret is ever recorded."""

    @event("Issued")
    def __init__(
        self, id: str, role: str, organisation: str | None, label: str | None, secret_hash: str
    ) -> None:
        self.role = role
        self.organisation = organisation
        self.label = label
        self.secret_hash = secret_hash
        self.revoked = False

    @property
    def key_id(self) -> str:
        return self.id.removeprefix("key:")

    @event("Revoked")
    def revoke(self) -> None:
        self.revoked = True


class Batch(LedgerAggregate):
    """Records which exchanges one idempotent batch request produced."""

    @event("Recorded")
    def __init__(
        self,
        id: str,
        organisation: str,
        idempotency_key: str,
        fingerprint: str,
        exchange_ids: list[str],
    ) -> None:
        self.organisation = organisation
        self.idempotency_key = idempotency_key
        self.fingerprint = fingerprint
        self.exchange_ids = exchange_ids
