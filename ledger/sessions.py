"""Sessions of the web pages: a random id checked on the server, ended by time or sign-out.

The visitor's browser holds only the session id (256 random bits); the table beside the event
store holds its sha256, the key it was opened with, and when it expires. The key itself is
never kept: every request checks, through the same batched key checks as the API's, that the
key behind the session still works, so a revoked key ends its sessions at once.
"""

from __future__ import annotations

import secrets
from functools import cached_property

from domain.access import key_stream
from ledger.access import AccessUseCases, hash_secret
from ledger.records import Principal
from ledger.session_table import SessionTable, session_table

SESSION_SECONDS = 12 * 3600
"""The longest a session lasts after sign-in, whatever the browser keeps."""


class SessionUseCases(AccessUseCases):
    def start_session(self, principal: Principal) -> str:
        """A session for a key just checked; the answer is the id, the only time it is seen."""
        session_id = secrets.token_urlsafe(32)
        now = self._seconds()
        self._session_table.delete_expired(now)  # so that the table holds live sessions only
        expires = now + SESSION_SECONDS
        self._session_table.insert(hash_secret(session_id), principal.key_id, now, expires)
        return session_id

    def session_principal(self, session_id: str) -> Principal | None:
        """Who holds a session that has not expired, ended or lost its key; else None."""
        key_id = self._session_table.key_of(hash_secret(session_id), self._seconds())
        if key_id is None:
            return None
        stream = key_stream(key_id)
        check = self._key_checks.submit(stream, lambda last: self._key_principal(key_id, last))
        principal: Principal | None = check.result()
        if principal is None:
            self._session_table.delete_of_key(key_id)  # the key was revoked: so are these
        return principal

    def end_session(self, session_id: str) -> None:
        self._session_table.delete(hash_secret(session_id))

    def _seconds(self) -> int:
        return int(self.clock().timestamp())

    @cached_property
    def _session_table(self) -> SessionTable:
        return session_table(self.recorder, self.database.env)
