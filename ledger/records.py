"""Plain values the ledger takes and returns: no aggregates leak out of `ledger/`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ExchangeRequest:
    """One exchange as a partner organisation describes it."""

    giver: str
    receiver: str
    minutes: int
    service_date: date | None = None
    category: str | None = None
    note: str | None = None

    def canonical(self) -> dict[str, object]:
        """The request as sent, for idempotency fingerprints (defaults left unresolved)."""
        return {
            "giver": self.giver,
            "receiver": self.receiver,
            "minutes": self.minutes,
            "service_date": self.service_date.isoformat() if self.service_date else None,
            "category": self.category,
            "note": self.note,
        }


@dataclass(frozen=True)
class ExchangeRecord:
    id: str
    status: str
    giver: str
    receiver: str
    minutes: int
    service_date: str
    category: str | None
    note: str | None
    recorded_at: datetime
    recorded_by: str
    position: int
    recorded_by_key: str | None = None
    replayed: bool = False
    note_erased: bool = False


@dataclass(frozen=True)
class BatchRecord:
    exchanges: list[ExchangeRecord]
    position: int
    replayed: bool = False


@dataclass(frozen=True)
class OrganisationRecord:
    id: str
    name: str
    credit_limit: int
    max_balance: int | None
    pending_expiry_days: int
    position: int = 0


@dataclass(frozen=True)
class AccountRecord:
    id: str
    organisation: str
    ref: str
    kind: str
    status: str
    credit_limit: int
    max_balance: int | None
    balance: int
    given: int
    received: int
    over_limit: bool
    position: int = 0


@dataclass(frozen=True)
class IssuedKey:
    """The only moment the secret exists outside its holder's hands."""

    id: str
    key: str
    role: str
    organisation: str | None
    label: str | None
    position: int = 0


@dataclass(frozen=True)
class Principal:
    """Who is calling, after the key was checked."""

    key_id: str
    role: str
    organisation: str | None
    label: str | None = None
