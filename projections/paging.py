"""Cursor pagination: `after` is the key of the last item seen, `next` the key of the last
item served when more follow. One extra row is read to know whether more follow."""

from __future__ import annotations

from typing import Any

from domain.errors import InvalidRequest

Row = dict[str, Any]
Page = tuple[list[Row], str | None]
MAX_LIMIT = 1000


def position_after(after: str | None) -> int:
    """A position cursor (statements, exchanges): the position of the last item seen."""
    if after is None or after == "":
        return 0
    try:
        position = int(after)
    except ValueError:
        raise InvalidRequest("after must be the `next` of a previous page", field="after") from None
    if position < 0:
        raise InvalidRequest("after must be the `next` of a previous page", field="after")
    return position


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be 1 to {MAX_LIMIT}", field="limit")
    return limit


def page_of(rows: list[Row], limit: int, key: str) -> Page:
    """Rows read with `limit + 1`: the first `limit`, and the cursor of the next page."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, str(rows[-1][key])
