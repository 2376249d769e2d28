"""Access keys: random, shown once, stored only as a hash, revocable at once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from concurrent.futures import Future
from functools import cached_property
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.access import ROLES, AccessKey, key_stream
from domain.base import LedgerCreated
from domain.errors import Conflict, Forbidden, InvalidRequest
from domain.rules import check_label, check_organisation_id
from ledger.key_checks import KeyChecks
from ledger.personal import PersonalStore
from ledger.personal_tables import LABELS
from ledger.records import IssuedKey, Principal

KEY_PREFIX = "tbk"
ADMIN_KEY_ID = "admin"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key(key_id: str) -> tuple[str, str]:
    """`tbk_<id>_<secret>`: the id finds the record, 256 random bits prove the holder."""
    secret = secrets.token_urlsafe(32)
    return f"{KEY_PREFIX}_{key_id}_{secret}", secret


def parse_key(key: str) -> tuple[str, str] | None:
    prefix, _, rest = key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not key_id or not secret:
        return None
    return key_id, secret


class AccessUseCases(PersonalStore):
    def issue_key(
        self, role: str, organisation: str | None = None, label: str | None = None
    ) -> IssuedKey:
        if role not in ROLES or role == "admin":
            raise InvalidRequest("role must be broker, poster or auditor", field="role")
        if role in ("broker", "poster"):
            if organisation is None:
                raise InvalidRequest(f"a {role} key needs an organisation", field="organisation")
            self._organisation(check_organisation_id(organisation))
        elif organisation is not None:
            raise InvalidRequest("an auditor key belongs to no organisation", field="organisation")
        return self._issue(secrets.token_hex(8), role, organisation, check_label(label))

    def ensure_admin_key(self) -> str | None:
        """On a first start, make the operator's key; return it, the only time it is seen."""
        if self._fresh(key_stream(ADMIN_KEY_ID)) is not None:
            return None
        try:
            return self._issue(ADMIN_KEY_ID, "admin", None, "bootstrap").key
        except Conflict:
            return None  # another process made it first

    def revoke_generated_admin_key(self) -> bool:
        """Once the operator configures a key of their own, the generated one stops working:
        it may have been lost or seen, and a configured key is how the operator recovers."""
        key = self._fresh(key_stream(ADMIN_KEY_ID))
        if not isinstance(key, AccessKey) or key.revoked:
            return False
        key.revoke()
        try:
            self._save(key)
        except IntegrityError:
            return False  # another process revoked it first
        return True

    def revoke_key(self, key_id: str) -> int:
        key = self._fresh(key_stream(key_id))
        if not isinstance(key, AccessKey):
            raise Forbidden(f"no key '{key_id}'")
        if key.revoked:
            return self.head_position()
        key.revoke()
        return self._save(key)

    def authenticate(self, key: str, admin_key: str | None = None) -> Principal | None:
        """The caller behind a bearer key, or None. Reads past the cache: revocation is at once."""
        return self.submit_authentication(key, admin_key).result()

    def submit_authentication(
        self, key: str, admin_key: str | None = None
    ) -> Future[Principal | None]:
        """`authenticate` without waiting, for an event loop to await; concurrent checks
        share one read of the database (ledger/key_checks.py)."""
        if admin_key and hmac.compare_digest(key.encode(), admin_key.encode()):
            return _answered(Principal(key_id=ADMIN_KEY_ID, role="admin", organisation=None))
        parsed = parse_key(key)
        if parsed is None:
            return _answered(None)
        key_id, secret = parsed
        stream = key_stream(key_id)
        return self._key_checks.submit(stream, lambda last: self._principal(key_id, secret, last))

    def close(self) -> None:
        self._key_checks.close()
        super().close()

    @cached_property
    def _key_checks(self) -> KeyChecks:
        return KeyChecks(self.recorder.last_events)

    @cached_property
    def _issued_keys(self) -> dict[str, Any]:
        return {}

    @cached_property
    def _labels(self) -> dict[str, str | None]:
        return {}

    def _principal(self, key_id: str, secret: str, last: StoredEvent | None) -> Principal | None:
        principal = self._key_principal(key_id, last)
        issued: Any = self._issued_keys.get(key_stream(key_id))
        if principal is None or not hmac.compare_digest(issued.secret_hash, hash_secret(secret)):
            return None
        return principal

    def _key_principal(self, key_id: str, last: StoredEvent | None) -> Principal | None:
        """Whose key it is while it works, the secret aside (sessions checked it at sign-in).
        A key's only events are Issued and Revoked, so its last one says whether it works."""
        if last is None or last.topic.endswith("AccessKey.Revoked"):
            return None
        stream = str(last.originator_id)
        issued: Any = self._issued_keys.get(stream)  # AccessKey's created event
        if issued is None:
            issued = self.mapper.to_domain_event(last)
            if not isinstance(issued, LedgerCreated):
                return None
            self._issued_keys[stream] = issued
            # Keys issued before labels left the log carry theirs in the event.
            self._labels[stream] = getattr(issued, "label", None) or self.key_label(key_id)
        return Principal(key_id, issued.role, issued.organisation, self._labels.get(stream))

    def _issue(
        self, key_id: str, role: str, organisation: str | None, label: str | None
    ) -> IssuedKey:
        key, secret = new_key(key_id)
        record = AccessKey(
            id=key_stream(key_id),
            role=role,
            organisation=organisation,
            label=None,  # free text: kept beside the log, not in it
            secret_hash=hash_secret(secret),
        )
        if label is not None:
            self.personal_tables.put(LABELS, key_id, label)
        try:
            position = self._save(record)
        except IntegrityError:
            raise Conflict(f"key '{key_id}' exists") from None
        return IssuedKey(key_id, key, role, organisation, label, position)


def _answered(principal: Principal | None) -> Future[Principal | None]:
    future: Future[Principal | None] = Future()
    future.set_result(principal)
    return future
