"""The application: one method per use case, over an event store chosen by settings."""

from __future__ import annotations

from ledger.accounts import UNSET, AccountUseCases
from ledger.batch_check import BatchCheck, Opening
from ledger.exchange_use_cases import ExchangeUseCases
from ledger.gifts import GiftRecord, GiftRequest, GiftUseCases
from ledger.personal import ErasureRecord, PersonalDataUseCases
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
from ledger.witnesses import WitnessUseCases


class Ledger(
    SessionUseCases,
    PersonalDataUseCases,
    AccountUseCases,
    GiftUseCases,
    ExchangeUseCases,
    ReportingUseCases,
    WitnessUseCases,
):
    """The time-credit ledger shared by partner organisations."""


__all__ = [
    "SESSION_SECONDS",
    "UNSET",
    "AccountRecord",
    "BatchCheck",
    "BatchRecord",
    "Database",
    "ErasureRecord",
    "ExchangeRecord",
    "ExchangeRequest",
    "GiftRecord",
    "GiftRequest",
    "IssuedKey",
    "Ledger",
    "Opening",
    "OrganisationRecord",
    "Principal",
    "parse_database_url",
]
