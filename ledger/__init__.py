"""The application: one method per use case, over an event store chosen by settings."""

from __future__ import annotations

from ledger.accounts import UNSET, AccountUseCases
from ledger.exchanges import ExchangeUseCases
from ledger.gifts import GiftRecord, GiftRequest, GiftUseCases
from ledger.records import (
    AccountRecord,
    BatchRecord,
    ExchangeRecord,
    ExchangeRequest,
    IssuedKey,
    OrganisationRecord,
    Principal,
)
from ledger.reporting import ReportingUseCases
from ledger.sessions import SESSION_SECONDS, SessionUseCases
from ledger.settings import Database, parse_database_url


class Ledger(SessionUseCases, AccountUseCases, ExchangeUseCases, GiftUseCases, ReportingUseCases):
    """The time-credit ledger shared by partner organisations."""


__all__ = [
    "SESSION_SECONDS",
    "UNSET",
    "AccountRecord",
    "BatchRecord",
    "Database",
    "ExchangeRecord",
    "ExchangeRequest",
    "GiftRecord",
    "GiftRequest",
    "IssuedKey",
    "Ledger",
    "OrganisationRecord",
    "Principal",
    "parse_database_url",
]
