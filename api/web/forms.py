"""The forms that record time: checked field by field, every refusal in plain words.

The domain's rules (domain/rules.py) are checked here first, so most mistakes are named
next to their field in the form's own words before the ledger is asked; the ledger's own
refusals (limits, closed or unknown accounts) are then placed next to the field they
concern (see `refusals`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from domain.rules import (
    ACCOUNT_REF,
    CATEGORY,
    MAX_MINUTES,
    MIN_MINUTES,
    NOTE_MAX,
    ORGANISATION_ID,
)
from ledger import ExchangeRequest

# ASCII digits only: str.isdigit also takes "²" and other digits that int() refuses.
NUMBER = re.compile(r"[0-9]+")
MAX_RECEIVERS = 1000


@dataclass
class Form:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


def account_id(form: Form, name: str, org: str, raw: str | None = None) -> str:
    """A ref of the organisation ("m-0042") or of another one ("other-org:m-0042")."""
    text = form.text(name) if raw is None else raw
    other, colon, ref = text.rpartition(":")
    if not text:
        form.fail(name, "Enter an account ref.")
    elif (colon and not ORGANISATION_ID.fullmatch(other)) or not ACCOUNT_REF.fullmatch(ref):
        form.fail(
            name,
            f"'{text}' is not an account ref: use letters, digits, '.', '_' and '-', and for"
            " another organisation's account put its id first, as in other-org:m-0042.",
        )
    return text if colon else f"{org}:{text}"


def minutes(form: Form) -> int:
    """Hours and minutes, together between 1 minute and 24 hours."""
    total = 0
    for name, factor in (("hours", 60), ("minutes", 1)):
        text = form.text(name).lstrip("0") or "0"
        if not NUMBER.fullmatch(text):
            form.fail("time", "Enter whole hours and minutes, as numbers.")
            return 0
        # More than four digits is more than a day, and int() refuses thousands of digits.
        total += int(text) * factor if len(text) <= 4 else MAX_MINUTES + 1
    if not MIN_MINUTES <= total <= MAX_MINUTES:
        form.fail("time", "The time must be at least 1 minute and at most 24 hours.")
    return total


def service_date(form: Form, today: date) -> date | None:
    text = form.text("service_date")
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        form.fail("service_date", "Enter the date as year-month-day, for example 2025-03-14.")
        return None
    if day > today:
        form.fail("service_date", "The date cannot be in the future.")
    return day


def category(form: Form) -> str | None:
    text = form.text("category").lower()
    if text and not CATEGORY.fullmatch(text):
        form.fail(
            "category",
            "Use lower-case letters, digits and hyphens (at most 40), for example gardening.",
        )
    return text or None


def note(form: Form) -> str | None:
    text = form.text("note")
    if len(text) > NOTE_MAX:
        form.fail("note", f"The note has {len(text)} characters; at most {NOTE_MAX} fit.")
    return text or None


def exchange(form: Form, org: str, today: date) -> ExchangeRequest | None:
    """One exchange from the record form, or None when a field needs correcting."""
    request = ExchangeRequest(
        giver=account_id(form, "giver", org),
        receiver=account_id(form, "receiver", org),
        minutes=minutes(form),
        service_date=service_date(form, today),
        category=category(form),
        note=note(form),
    )
    if not form.errors and request.giver == request.receiver:
        form.fail("receiver", "The giver and the receiver must be two different accounts.")
    return None if form.errors else request


def group_session(form: Form, org: str, today: date) -> list[ExchangeRequest] | None:
    """One giver, many receivers (a line, comma or space apart): one exchange each."""
    giver = account_id(form, "giver", org)
    receivers = [account_id(form, "receivers", org, ref) for ref in receiver_refs(form)]
    if giver in receivers:
        form.fail("receivers", "The giver cannot also be one of the receivers.")
    shared = (minutes(form), service_date(form, today), category(form), note(form))
    if form.errors:
        return None
    return [ExchangeRequest(giver, receiver, *shared) for receiver in receivers]


def receiver_refs(form: Form) -> list[str]:
    """The receivers' refs, counted before any is read: each pass over them is linear, and a
    form of 65,000 refs is refused for its number alone."""
    refs = form.text("receivers").replace(",", " ").split()
    if not refs:
        form.fail("receivers", "Enter the refs of the people who took part.")
    elif len(refs) > MAX_RECEIVERS:
        form.fail("receivers", f"A session takes at most {MAX_RECEIVERS} receivers.")
        return []
    twice = sorted(ref for ref, times in Counter(refs).items() if times > 1)
    if twice:
        form.fail("receivers", f"Listed more than once: {', '.join(twice)}.")
    return refs
