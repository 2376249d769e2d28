"""A member's statement for a period as a PDF, for members who are handed paper.

fpdf2 with its built-in Helvetica: no font files, no system libraries. Its core fonts speak
Latin-1, so the text is kept to it (a plain hyphen for minus).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fpdf import FPDF

from projections.statement_reads import PeriodStatement

COLUMNS = (("Service date", 26), ("Recorded", 26), ("With", 62), ("Kind", 22), ("Change", 22),
           ("Balance", 22))  # fmt: skip


@dataclass(frozen=True)
class StatementHeading:
    organisation: str
    account: str
    period: str
    printed_on: date


def minutes_text(minutes: int, signed: bool = False) -> str:
    """ "1 h 30 min", "-45 min"; "+" before a gain when `signed`."""
    sign = "-" if minutes < 0 else ("+" if signed and minutes > 0 else "")
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours} h {rest} min"
    return f"{sign}{hours} h" if hours else f"{sign}{rest} min"


def latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def statement_pdf(heading: StatementHeading, statement: PeriodStatement, names: list[str]) -> bytes:
    """`names[i]` is how the broker knows the other party of `statement.entries[i]`."""
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"Statement of {heading.account}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(
        0,
        10,
        latin1(f"{heading.organisation}: statement of {heading.account}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 7, latin1(f"Period: {heading.period}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 7, f"Opening balance: {minutes_text(statement.opening)}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(3)
    _table(pdf, statement, names)
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(
        0, 7, f"Closing balance: {minutes_text(statement.closing)}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", size=9)
    note = f"Printed on {heading.printed_on.isoformat()}. 60 minutes are one time credit."
    if not statement.complete:
        note += " The period holds more entries than one statement shows: print a shorter one."
    pdf.cell(0, 6, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _table(pdf: FPDF, statement: PeriodStatement, names: list[str]) -> None:
    pdf.set_font("Helvetica", "B", 9)
    for title, width in COLUMNS:
        pdf.cell(width, 7, title, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", size=9)
    if not statement.entries:
        pdf.cell(0, 7, "Nothing moved this balance in the period.", new_x="LMARGIN", new_y="NEXT")
    for entry, name in zip(statement.entries, names, strict=True):
        values = (
            entry["service_date"], entry["recorded_at"][:10], name, entry["kind"],
            minutes_text(int(entry["minutes"]), signed=True), minutes_text(int(entry["balance"])),
        )  # fmt: skip
        for (_, width), value in zip(COLUMNS, values, strict=True):
            pdf.cell(width, 6, latin1(str(value))[:40])
        pdf.ln()
