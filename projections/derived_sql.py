"""The derived figures the read models filter on in SQL, each written once here beside the
domain definition it mirrors, and held equal to it by tests/unit/test_derived_sql.py.

The domain stays free of SQL; these fragments are its definitions restated for the views'
columns (`balance`, `credit_limit`, `max_balance` of an account; `status`, `expires_on`
of an exchange), in the one dialect both SQLite and Postgres read.
"""

from __future__ import annotations

from domain.exchange import EXPIRED, PENDING

# domain.account.is_over_limit(balance, credit_limit, max_balance)
OVER_LIMIT = "(balance < -credit_limit OR (max_balance IS NOT NULL AND balance > max_balance))"
# domain.exchange.status_on(status, expires_on, today) == PENDING; one parameter: today as an
# ISO date (ISO dates compare as text in the order of the days).
STILL_PENDING = f"(status = '{PENDING}' AND (expires_on IS NULL OR expires_on >= ?))"
# status_on(status, expires_on, today) == EXPIRED; the same parameter.
EXPIRED_BY = f"(status = '{EXPIRED}' OR (status = '{PENDING}' AND expires_on < ?))"
