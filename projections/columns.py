"""The columns of the two tables whose rows pages read back and write whole."""

from __future__ import annotations

ACCOUNT_COLUMNS = (
    "id, organisation, ref, kind, status, credit_limit, max_balance, balance, given, received,"
    " last_service_date, opened_position"
)

EXCHANGE_COLUMNS = (
    "id, position, status, giver, receiver, giver_org, receiver_org, minutes, service_date,"
    " category, note, recorded_at, recorded_by, recorded_by_key, awaiting, expires_on,"
    " updated_position"
)
