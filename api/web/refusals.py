"""The ledger's refusals in plain words, placed next to the field they concern."""

from __future__ import annotations

import re

from api.web.forms import Form
from api.web.pages import duration, shown
from domain.errors import LedgerError
from ledger import ExchangeRequest

WENT_TO = re.compile(r"would go to (-?\d+) minutes, (below|above) its .* of (-?\d+)")
FIELD_OF = {"minutes": "time", "service_date": "service_date", "category": "category"}
FIELD_OF |= {"note": "note", "giver": "giver", "receiver": "receiver"}
GENERAL = {
    "idempotency_key_reused": "This form was already sent with other details, so nothing"
    " was recorded. Open the form again and start afresh.",
    "conflict": "These accounts changed at the same moment; nothing was recorded. Send the"
    " form again.",
}


def place(
    form: Form, error: LedgerError, requests: list[ExchangeRequest], org: str, group: bool
) -> None:
    """Put the refusal on the form: for a group session, receivers' problems name the line."""
    index = error.extra.get("index", 0)
    request = requests[index] if 0 <= index < len(requests) else requests[0]
    name, message = _placed(error, request, org)
    if group and name == "receiver":
        name, message = "receivers", f"Line {index + 1}: {message}"
    form.fail(name, message)


def _placed(error: LedgerError, request: ExchangeRequest, org: str) -> tuple[str, str]:
    code, detail = error.code, error.detail
    giver, receiver = shown(request.giver, org), shown(request.receiver, org)
    if code in ("unknown_account", "account_closed"):
        side = "giver" if _names(detail, request.giver) else "receiver"
        account = giver if side == "giver" else receiver
        if code == "unknown_account":
            return side, f"There is no account {account}. Check the ref."
        return side, f"The account {account} is closed: it takes no new exchanges."
    if code == "credit_limit_exceeded":
        return "receiver", _limit(detail, receiver, "has too little time")
    if code == "max_balance_exceeded":
        return "giver", _limit(detail, giver, "would have too much time")
    if code == "same_account":
        return "receiver", "The giver and the receiver must be two different accounts."
    if code == "forbidden":
        return "giver", f"One of the two accounts must belong to your organisation ({org})."
    if code == "invalid_request" and error.extra.get("field") in FIELD_OF:
        return FIELD_OF[error.extra["field"]], sentence(detail)
    return "form", GENERAL.get(code, sentence(detail))


def _names(detail: str, account: str) -> bool:
    return f"'{account}'" in detail or f"account {account} is" in detail


def _limit(detail: str, account: str, problem: str) -> str:
    found = WENT_TO.search(detail)
    if found is None:
        return f"{account} {problem} for this exchange."
    went, side, limit = int(found.group(1)), found.group(2), int(found.group(3))
    bound = "zero" if limit == 0 else duration(limit)
    return (
        f"{account} {problem}: this would take its balance to {duration(went)},"
        f" and it may not go {side} {bound}."
    )


def sentence(detail: str) -> str:
    text = detail.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
