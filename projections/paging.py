"""Cursor pagination: `after` is the key of the last item seen, `next` the key of the last
item served when more follow. One extra row is read to know whether more follow."""

from __future__ import annotations

from typing import Any

from domain.errors import InvalidRequest

Row = dict[str, Any]
ResultPage = tuple[list[Row], str | None]  # (items, cursor of the next page or None)
MAX_LIMIT = 1000
MAX_POSITION = 2**63 - 1  # positions are BIGINT: a larger number cannot even be compared


def position_after(after: str | None) -> int:
    """A position cursor (statements, exchanges): the position of the last item seen.
    Plain ASCII digits only (`int` would take "+1", "1_0" and other scripts' digits)."""
    if after is None or after == "":
        return 0
    digits = after.isascii() and after.isdigit() and len(after) <= len(str(MAX_POSITION))
    if not digits or int(after) > MAX_POSITION:
        raise InvalidRequest("after must be the `next` of a previous page", field="after")
    return int(after)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be 1 to {MAX_LIMIT}", field="limit")
    return limit


def page_of(rows: list[Row], limit: int, key: str) -> ResultPage:
    """Rows read with `limit + 1`: the first `limit`, and the cursor of the next page."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, str(rows[-1][key])
