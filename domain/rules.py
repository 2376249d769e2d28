"""Input rules shared by the aggregates: pure checks that raise `InvalidRequest`."""

from __future__ import annotations

import re
from datetime import date

from domain.errors import InvalidRequest, UnknownAccount

MIN_MINUTES = 1
MAX_MINUTES = 1440
_ORGANISATION_ID = r"[a-z0-9][a-z0-9-]{1,62}"
_ACCOUNT_REF = r"[A-Za-z0-9._-]{1,64}"
ORGANISATION_ID = re.compile(rf"^{_ORGANISATION_ID}$")
ACCOUNT_REF = re.compile(rf"^{_ACCOUNT_REF}$")
ACCOUNT_ID = re.compile(rf"^{_ORGANISATION_ID}:{_ACCOUNT_REF}$")  # "{org}:{ref}"
# Time banking began in the 1980s. An earlier date is a client's "zero" date (0001-01-01,
# 1900-01-01, 1970-01-01) sent by mistake, and would be counted in funders' reports.
EARLIEST_SERVICE_DATE = date(1980, 1, 1)
CATEGORY = re.compile(r"^[a-z0-9-]{1,40}$")
NOTE_MAX = 500
REASON_MAX = 500
NAME_MAX = 200
LABEL_MAX = 200
DISPLAY_NAME_MAX = 100
REQUEST_REF_MAX = 100
# Free text may hold any printable character, newlines and tabs, but no other control code:
# a NUL cannot be stored in a Postgres TEXT column, and escape sequences would reach the
# terminals and spreadsheets that show exports. The API's schemas use the same pattern.
CONTROL_CHARACTERS = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F"
PRINTABLE = rf"^[^{CONTROL_CHARACTERS}]*$"
# Beyond the pattern: a lone surrogate (U+D800 to U+DFFF in a Python str) is no character,
# and neither UTF-8 nor Postgres can hold one.
NOT_PRINTABLE = re.compile(rf"[{CONTROL_CHARACTERS}\ud800-\udfff]")
ACCOUNT_KINDS = ("person", "organisation", "pot")
DEFAULT_CREDIT_LIMIT = 600
DEFAULT_PENDING_EXPIRY_DAYS = 14
# The largest min_count a report may ask for: a cell hidden below it would hide a whole group.
MAX_MIN_COUNT = 1000


def check_minutes(minutes: object) -> int:
    # bool is an int in Python; True minutes would be a silent 1.
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        raise InvalidRequest("minutes must be a whole number", field="minutes")
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise InvalidRequest(
            f"minutes must be between {MIN_MINUTES} and {MAX_MINUTES}", field="minutes"
        )
    return minutes


def check_organisation_id(org: str) -> str:
    if not isinstance(org, str) or not ORGANISATION_ID.fullmatch(org):
        raise InvalidRequest(f"organisation id must match {ORGANISATION_ID.pattern}", field="id")
    return org


def check_ref(ref: str) -> str:
    if not isinstance(ref, str) or not ACCOUNT_REF.fullmatch(ref):
        raise InvalidRequest(f"ref must match {ACCOUNT_REF.pattern}", field="ref")
    return ref


def check_kind(kind: str) -> str:
    if kind not in ACCOUNT_KINDS:
        raise InvalidRequest(f"kind must be one of {', '.join(ACCOUNT_KINDS)}", field="kind")
    return kind


def check_credit_limit(limit: object) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise InvalidRequest("credit_limit must be a whole number >= 0", field="credit_limit")
    return limit


def check_max_balance(cap: object) -> int | None:
    if cap is None:
        return None
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
        raise InvalidRequest("max_balance must be a whole number >= 0 or null", field="max_balance")
    return cap


def check_expiry_days(days: object) -> int:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        raise InvalidRequest(
            "pending_expiry_days must be between 1 and 365", field="pending_expiry_days"
        )
    return days


def check_min_count(min_count: object) -> int | None:
    """The smallest count of people a report may show; null: none."""
    if min_count is None:
        return None
    if not isinstance(min_count, int) or isinstance(min_count, bool):
        raise InvalidRequest("min_count must be a whole number", field="min_count")
    if not 1 <= min_count <= MAX_MIN_COUNT:
        raise InvalidRequest(f"min_count must be 1 to {MAX_MIN_COUNT}", field="min_count")
    return min_count


def check_service_date(service_date: date, today: date) -> date:
    if service_date > today:
        raise InvalidRequest("service_date must not be in the future", field="service_date")
    if service_date < EARLIEST_SERVICE_DATE:
        raise InvalidRequest(
            f"service_date must be {EARLIEST_SERVICE_DATE.isoformat()} or later",
            field="service_date",
        )
    return service_date


def check_category(category: str | None) -> str | None:
    if category is not None and not CATEGORY.fullmatch(category):
        raise InvalidRequest(
            "category must be 1 to 40 lower-case letters, digits and hyphens, such as home-help",
            field="category",
        )
    return category


def check_note(note: str | None) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        raise InvalidRequest(f"note must be at most {NOTE_MAX} characters", field="note")
    return check_text(note, "note")


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise InvalidRequest(f"name must be 1 to {NAME_MAX} characters", field="name")
    return check_text(name, "name")


def check_reason(reason: str) -> str:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_MAX:
        raise InvalidRequest(f"reason must be 1 to {REASON_MAX} characters", field="reason")
    return check_text(reason, "reason")


def check_label(label: str | None) -> str | None:
    if label is None:
        return None
    if not isinstance(label, str) or len(label) > LABEL_MAX:
        raise InvalidRequest(f"label must be at most {LABEL_MAX} characters", field="label")
    return check_text(label, "label")


def check_display_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > DISPLAY_NAME_MAX:
        raise InvalidRequest(
            f"display_name must be 1 to {DISPLAY_NAME_MAX} characters", field="display_name"
        )
    return check_text(name, "display_name")


def check_request_ref(ref: str | None) -> str | None:
    """An erasure request's reference (a case number), never the requester's details."""
    if ref is None:
        return None
    if not isinstance(ref, str) or not ref.strip() or len(ref) > REQUEST_REF_MAX:
        raise InvalidRequest(
            f"request_ref must be 1 to {REQUEST_REF_MAX} characters", field="request_ref"
        )
    return check_text(ref, "request_ref")


def check_text(text: str, field: str) -> str:
    """Free text: printable characters, newlines and tabs only."""
    found = NOT_PRINTABLE.search(text)
    if found is not None:
        code = ord(found.group())
        what = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
        raise InvalidRequest(
            f"{field} must be printable text: U+{code:04X} at character {found.start() + 1}"
            f" is {what} (newlines and tabs are fine)",
            field=field,
        )
    return text


def organisation_of(account_id: str) -> str:
    """The organisation part of an account id, unchecked: the id of a stored account, or one
    a caller gave (a malformed one names an organisation nobody belongs to)."""
    return account_id.partition(":")[0]


def is_account_id(text: str) -> bool:
    """Whether `text` has the form `"{org}:{ref}"` of an account id."""
    return ACCOUNT_ID.fullmatch(text) is not None


def split_account_id(account_id: str) -> tuple[str, str]:
    """`"{org}:{ref}"` -> `(org, ref)`. A malformed id names no account that could exist."""
    if ACCOUNT_ID.fullmatch(account_id) is None:  # is_account_id, inline: on every posting
        raise UnknownAccount(f"no account '{account_id}' (ids have the form org:ref)")
    org, _, ref = account_id.partition(":")
    return org, ref
