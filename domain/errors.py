"""One small error tree. Each error carries the contract's stable machine-readable `code`."""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """A request the ledger refuses. Nothing was recorded."""

    code = "invalid_request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidRequest(LedgerError):
    code = "invalid_request"


class UnknownAccount(LedgerError):
    code = "unknown_account"


class UnknownExchange(LedgerError):
    code = "unknown_exchange"


class UnknownOrganisation(LedgerError):
    code = "unknown_organisation"


class CreditLimitExceeded(LedgerError):
    code = "credit_limit_exceeded"


class MaxBalanceExceeded(LedgerError):
    code = "max_balance_exceeded"


class SameAccount(LedgerError):
    code = "same_account"


class AccountClosed(LedgerError):
    code = "account_closed"


class NotPending(LedgerError):
    code = "not_pending"


class AlreadyReversed(LedgerError):
    code = "already_reversed"


class IdempotencyKeyReused(LedgerError):
    code = "idempotency_key_reused"


class Forbidden(LedgerError):
    code = "forbidden"


class Conflict(LedgerError):
    code = "conflict"
