"""From a row's text to an exchange request, or to everything wrong with the row."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeVar

from api.imports.formats import Row
from domain.errors import LedgerError
from domain.rules import (
    MAX_MINUTES,
    MIN_MINUTES,
    check_category,
    check_minutes,
    check_note,
    check_service_date,
    split_account_id,
)
from ledger import ExchangeRequest

T = TypeVar("T")
ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$")


@dataclass(frozen=True)
class Item:
    line: int
    request: ExchangeRequest
    kinds: tuple[str | None, str | None]
    names: tuple[str, str] = ("", "")  # as the file shows them; never part of the request


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


@dataclass(frozen=True)
class Reading:
    """How to read values: whose bare refs they are, and how dates are written."""

    organisation: str
    today: date
    date_format: str | None = None
    keep_notes: bool = True


def parse_row(row: Row, reading: Reading) -> Item | Problem:
    problems: list[str] = list(row.problems)
    fields, org = row.fields, reading.organisation
    giver = _attempt(problems, "giver", lambda: account_id(fields.get("giver", ""), org))
    receiver = _attempt(problems, "receiver", lambda: account_id(fields.get("receiver", ""), org))
    minutes = _attempt(problems, _amount_field(fields), lambda: check_minutes(minutes_of(fields)))
    service_date = _attempt(
        problems,
        "service_date",
        lambda: check_service_date(date_of(fields, reading), reading.today),
    )
    category = _attempt(problems, "category", lambda: check_category(_optional(fields, "category")))
    note = _attempt(problems, "note", lambda: check_note(_optional(fields, "note")))
    if not reading.keep_notes:
        note = None
    if giver is not None and giver == receiver:
        problems.append("giver and receiver are the same account")
    if problems or giver is None or receiver is None or minutes is None or service_date is None:
        return Problem(row.line, "; ".join(problems))
    request = ExchangeRequest(giver, receiver, minutes, service_date, category, note)
    return Item(row.line, request, row.kinds, row.names)


def _optional(fields: dict[str, str], name: str) -> str | None:
    return fields.get(name) or None


def _attempt(problems: list[str], field: str, parse: Callable[[], T]) -> T | None:
    try:
        return parse()
    except (LedgerError, ValueError, InvalidOperation) as error:
        detail = error.detail if isinstance(error, LedgerError) else str(error)
        problems.append(f"{field}: {detail}")
        return None


def account_id(value: str, organisation: str) -> str:
    """A bare ref names an account of the importing organisation; `org:ref` any account."""
    if not value:
        raise ValueError("missing")
    candidate = value if ":" in value else f"{organisation}:{value}"
    try:
        split_account_id(candidate)
    except LedgerError:
        raise ValueError(
            f"{value!r} is not an account ref (letters, digits, '.', '_', '-'; at most 64)"
        ) from None
    return candidate


def minutes_of(fields: dict[str, str]) -> int:
    """Whole minutes, or hours rounded to the nearest minute (1.33 hours -> 80 minutes)."""
    if fields.get("minutes"):
        text = fields["minutes"]
        if not text.isdigit():
            raise ValueError(f"{text!r} is not a whole number of minutes")
        return int(text)
    text = fields.get("hours", "").replace(",", ".")
    if not text:
        raise ValueError("missing")
    hours = Decimal(text)
    if not hours.is_finite():
        raise ValueError(f"{text!r} is not a number of hours")
    minutes = int((hours * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ValueError(
            f"{text} hours is {minutes} minutes; an exchange is {MIN_MINUTES} minute to"
            f" {MAX_MINUTES // 60} hours"
        )
    return minutes


def _amount_field(fields: dict[str, str]) -> str:
    """The column a problem with the amount is about: the one the row gave."""
    return "minutes" if fields.get("minutes") or not fields.get("hours") else "hours"


def date_of(fields: dict[str, str], reading: Reading) -> date:
    text = fields.get("service_date", "")
    if not text:
        raise ValueError("missing")
    if reading.date_format:
        return datetime.strptime(text, reading.date_format).date()
    match = ISO_DATE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a date like 2024-05-31 (see --date-format)")
    return date.fromisoformat(match.group(1))
