"""What each supported file says, turned into the same few fields per row.

- `csv`: our own columns (docs/migrating.md), matched by header, in any order.
- `timeoverflow`: TimeOverflow's complete transfers report. Its header is translated into
  the organisation's language, so columns are taken by position and checked by the
  untranslated names ("from ID", "to ID", "quantity"...). `from` is the account debited
  (who received the service), `to` the one credited (who gave it).
- `communityweaver`: Community Weaver's exchange history, matched by header names
  (provider/recipient ids, hours, service date, category, description).

The members' names (TimeOverflow's `from` and `to`, Community Weaver's provider and recipient)
are read into `Row.names` only: they become display names in the directory beside the log
(api/imports/names.py), never part of an exchange.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

FORMATS = ("csv", "timeoverflow", "communityweaver")
CSV_COLUMNS = ("giver", "receiver", "minutes", "hours", "service_date", "category", "note")
TIMEOVERFLOW_ORGANISATION_ID = "0"
ORGANISATION_ACCOUNT_REF = "org"
TIMEOVERFLOW_HEADER = {1: "from", 2: "from id", 3: "to", 4: "to id", 5: "post", 6: "post id"}
TIMEOVERFLOW_QUANTITY = 8
TIMEOVERFLOW_NO_ID = ("inactive_user", "deleted_user")  # what the report shows instead of an ID
COMMUNITY_WEAVER_COLUMNS = {
    "giver": ("provider id", "provider uid", "service provider id"),
    "receiver": ("recipient id", "recipient uid", "service recipient id"),
    "hours": ("hours", "hours exchanged", "number of hours"),
    "service_date": ("service date", "date of service", "date"),
    "category": ("service category", "category"),
    "note": ("description", "title"),
}
COMMUNITY_WEAVER_NAMES = {
    "giver": ("provider", "provider name", "service provider"),
    "receiver": ("recipient", "recipient name", "service recipient"),
}


class FileProblem(ValueError):
    """The file as a whole cannot be read (its header, its encoding)."""


@dataclass(frozen=True)
class Row:
    """One exchange as the file states it; values are still text."""

    line: int
    fields: dict[str, str]
    kinds: tuple[str | None, str | None] = (None, None)  # of giver and receiver, if known
    problems: tuple[str, ...] = ()  # what the format itself says is wrong with the row
    names: tuple[str, str] = ("", "")  # of giver and receiver, if the file shows them


def read_rows(text: str, file_format: str) -> list[Row]:
    readers: dict[str, Callable[[Iterator[tuple[int, list[str]]], list[str]], list[Row]]] = {
        "csv": _own_csv,
        "timeoverflow": _timeoverflow,
        "communityweaver": _community_weaver,
    }
    records = _records(text)
    header = next(records, None)
    if header is None:
        raise FileProblem("the file is empty")
    return readers[file_format](records, header[1])


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted value may span several lines)."""
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)  # spreadsheets in many locales write ";"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    previous_end = 0
    for record in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if any(value.strip() for value in record):
            yield start, [value.strip() for value in record]


def _own_csv(records: Iterator[tuple[int, list[str]]], header: list[str]) -> list[Row]:
    names = [h.lower() for h in header]
    unknown = [h for h in names if h not in CSV_COLUMNS]
    if unknown:
        known = ", ".join(CSV_COLUMNS)
        raise FileProblem(f"line 1: unknown column(s) {', '.join(unknown)}; known: {known}")
    missing = [c for c in ("giver", "receiver", "service_date") if c not in names]
    if ("minutes" in names) == ("hours" in names):
        missing.append("minutes or hours (one of them)")
    if missing:
        raise FileProblem(f"line 1: missing column(s): {', '.join(missing)}")
    return [Row(line, _by_name(names, values)) for line, values in records]


def _timeoverflow(records: Iterator[tuple[int, list[str]]], header: list[str]) -> list[Row]:
    names = [h.lower() for h in header]
    expected = {**TIMEOVERFLOW_HEADER, TIMEOVERFLOW_QUANTITY: "quantity"}
    if len(names) <= TIMEOVERFLOW_QUANTITY or any(names[i] != n for i, n in expected.items()):
        raise FileProblem(
            "line 1: not a TimeOverflow transfers report (expected the columns: date, from,"
            " from ID, to, to ID, post, post ID, reason, quantity)"
        )
    rows = []
    for line, values in records:
        values = values + [""] * (len(names) - len(values))
        source, destination = values[2], values[4]
        fields = {
            "giver": _timeoverflow_ref(destination),
            "receiver": _timeoverflow_ref(source),
            "hours": values[TIMEOVERFLOW_QUANTITY],
            "service_date": values[0],
            "note": values[7],
        }
        kinds = (_timeoverflow_kind(destination), _timeoverflow_kind(source))
        problems = tuple(
            f"{field}: the report shows {value} instead of a member ID; write a reference"
            for field, value in (("giver", destination), ("receiver", source))
            if value in TIMEOVERFLOW_NO_ID
        )
        shown = (_timeoverflow_name(values[3], destination), _timeoverflow_name(values[1], source))
        rows.append(Row(line, fields, kinds, problems, shown))
    return rows


def _timeoverflow_ref(member_id: str) -> str:
    return ORGANISATION_ACCOUNT_REF if member_id == TIMEOVERFLOW_ORGANISATION_ID else member_id


def _timeoverflow_name(shown: str, member_id: str) -> str:
    """ "Ana (12)" -> "Ana": the report writes the member ID after the name. The organisation's
    own account and members without an ID carry no person's name."""
    if member_id == TIMEOVERFLOW_ORGANISATION_ID or member_id in TIMEOVERFLOW_NO_ID:
        return ""
    return shown.removesuffix(f"({member_id})").strip()


def _timeoverflow_kind(member_id: str) -> str | None:
    return "organisation" if member_id == TIMEOVERFLOW_ORGANISATION_ID else None


def _community_weaver(records: Iterator[tuple[int, list[str]]], header: list[str]) -> list[Row]:
    names = [h.lower().replace("_", " ") for h in header]
    columns = _find_columns(names, COMMUNITY_WEAVER_COLUMNS)
    name_columns = _find_columns(names, COMMUNITY_WEAVER_NAMES)
    missing = [f for f in ("giver", "receiver", "hours", "service_date") if f not in columns]
    if missing:
        wanted = "; ".join(f"{f}: {' or '.join(COMMUNITY_WEAVER_COLUMNS[f])}" for f in missing)
        raise FileProblem(f"line 1: no column for {wanted}")
    rows = []
    for line, values in records:
        fields = {f: values[i] if i < len(values) else "" for f, i in columns.items()}
        if "category" in fields:
            fields["category"] = slug(fields["category"])
        shown = {f: values[i] if i < len(values) else "" for f, i in name_columns.items()}
        rows.append(Row(line, fields, names=(shown.get("giver", ""), shown.get("receiver", ""))))
    return rows


def _find_columns(names: list[str], wanted: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Each field's column: the first of its header names the file has."""
    columns: dict[str, int] = {}
    for field, aliases in wanted.items():
        found = next((names.index(a) for a in aliases if a in names), None)
        if found is not None:
            columns[field] = found
    return columns


def _by_name(names: list[str], values: list[str]) -> dict[str, str]:
    return {name: values[i] if i < len(values) else "" for i, name in enumerate(names)}


def slug(text: str) -> str:
    """ "Home & Garden" -> "home-garden": the ledger's category alphabet."""
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in text.lower()).split()
    return "-".join(words)[:40].strip("-")
