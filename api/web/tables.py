"""The CSV downloads: the period's report and the accounts list.

The report is long-format (`section, key, measure, value`), one figure a row, so a
spreadsheet's pivot table takes it as it is. Text cells a spreadsheet would run as a
formula (=, +, -, @ first) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from api.web.period import Period

Row = dict[str, Any]
REPORT_COLUMNS = ("section", "key", "measure", "value")
TOTALS = (
    "accounts", "active_accounts", "gave_and_received", "exchanges", "minutes",
    "cross_organisation_minutes", "connections",
)  # fmt: skip
ACCOUNT_COLUMNS = (
    "account", "ref", "kind", "status", "balance", "balance_hours", "given", "received",
    "credit_limit", "max_balance", "over_limit", "only_gives", "only_receives", "last_activity",
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def report_rows(summary: Row, period: Period) -> Iterator[tuple[Any, ...]]:
    yield REPORT_COLUMNS
    yield ("period", "organisation", "id", summary["organisation"])
    yield ("period", "from", "date", period.start.isoformat() if period.start else "")
    yield ("period", "to", "date", period.end.isoformat() if period.end else "")
    for name in TOTALS:
        yield ("total", "all", name, summary[name])
    yield ("total", "all", "hours", round(summary["minutes"] / 60, 2))
    for month in summary["by_month"]:
        for measure in ("exchanges", "minutes", "active_accounts"):
            yield ("month", month["month"], measure, month[measure])
    for category, minutes in summary["by_category"].items():
        yield ("category", category, "minutes", minutes)
    yield ("total", "all", "gifted_minutes", summary.get("gifted_minutes", 0))
    for name in summary.get("suppressed", []):  # small counts of people, left empty above
        yield ("suppressed", name, "hidden", "")


def account_row(account: Row) -> tuple[Any, ...]:
    given, received = account["given"], account["received"]
    values = {
        **account,
        "account": account["id"],
        "balance_hours": round(account["balance"] / 60, 2),
        "only_gives": given > 0 and received == 0,
        "only_receives": received > 0 and given == 0,
    }
    return tuple(values[column] for column in ACCOUNT_COLUMNS)


def csv_text(rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    """Rows as CSV text, a row at a time (a long list streams instead of piling up)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
