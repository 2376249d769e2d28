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
from domain.account import is_over_limit

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
CSV_CHUNK = 1000
YES_NO = {True: "yes", False: "no"}


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


def account_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row of `account_reads.account_table` as the CSV's cells, in `ACCOUNT_COLUMNS`
    order. The cells are final: csv writes None as empty, and the flags are yes/no here.
    Only the ref and the date may start like a formula: an id starts with its
    organisation's id ([a-z0-9]), and kinds and statuses are fixed words."""
    id_, ref, kind, status, balance, given, received, credit_limit, cap, last = row
    return (
        id_, "'" + ref if ref.startswith(FORMULA_START) else ref, kind, status, balance,
        round(balance / 60, 2), given, received, credit_limit, cap,
        YES_NO[is_over_limit(balance, credit_limit, cap)],
        YES_NO[given > 0 and received == 0], YES_NO[received > 0 and given == 0],
        (_text(last) if last else None),  # '': a gift's row, none before
    )  # fmt: skip


def accounts_csv(pages: Iterable[list[tuple[Any, ...]]]) -> Iterator[str]:
    """The accounts CSV, its header first, then a piece of text per page of rows: one
    `writerows` a page, no per-cell conversion beyond `account_row`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ACCOUNT_COLUMNS)
    for page in pages:
        writer.writerows(map(account_row, page))
        if buffer.tell():
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()


def csv_text(rows: Iterable[tuple[Any, ...]], chunk: int = CSV_CHUNK) -> Iterator[str]:
    """Rows as CSV text, `chunk` rows at a time: a long list streams instead of piling up,
    and each piece is worth its trip through the server (a piece a row ran at 10,000 rows/s)."""
    buffer = io.StringIO()
    writerow = csv.writer(buffer, lineterminator="\r\n").writerow
    for count, row in enumerate(rows, 1):
        writerow([_cell(value) for value in row])
        if count % chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _cell(value: Any) -> Any:
    kind = type(value)  # by exact type: the common cells (numbers, plain text) pass first
    if kind is int:
        return value
    if kind is str:
        return "'" + value if value.startswith(FORMULA_START) else value
    if value is None:
        return ""
    if kind is bool:
        return "yes" if value else "no"
    return value
