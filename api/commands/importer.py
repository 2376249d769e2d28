"""`timebank import FILE --organisation ORG`: historic exchanges from a file, all or nothing."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.imports.checks import Options, Verdict, check_rows
from api.imports.formats import FORMATS, FileProblem, read_rows
from api.imports.names import Names, fill_names, names_in
from api.imports.recording import Chunk, already_recorded, chunks_of, record
from api.imports.rows import Item, Problem, Reading, parse_row
from api.progress import progress_bar
from domain.errors import InvalidRequest, LedgerError, UnknownOrganisation
from domain.rules import split_account_id
from ledger import Ledger

EPILOG = "Columns and mappings: docs/migrating.md. Exit status: 0 done, 1 refused, 2 unusable."


def register(commands: Any) -> None:
    """Add `timebank import` to the `timebank` parser."""
    parser = commands.add_parser(
        "import",
        help="import historic exchanges from a CSV file or another timebank system's export",
        description="Record the exchanges in FILE for ORGANISATION. Every row is checked "
        "first; if any row is refused, each bad row is named with its line number and "
        "nothing is recorded. Running the same file again records nothing twice.",
        epilog=EPILOG,
    )
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument("--organisation", required=True, metavar="ORG")
    parser.add_argument("--format", choices=FORMATS, default="csv", help="default %(default)s")
    parser.add_argument("--dry-run", action="store_true", help="check every row, record nothing")
    parser.add_argument(
        "--create-accounts",
        action="store_true",
        help="open the organisation's accounts that do not exist yet (other organisations' "
        "accounts must exist)",
    )
    parser.add_argument(
        "--credit-limit",
        type=int,
        metavar="MINUTES",
        help="credit limit of accounts the import opens (default: the organisation's)",
    )
    parser.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="how FILE writes dates, as for strptime, e.g. %%d/%%m/%%Y (default: ISO 2024-05-31)",
    )
    _add_personal_data_options(parser)
    parser.set_defaults(handler=run)


def _add_personal_data_options(parser: argparse.ArgumentParser) -> None:
    """What of the file about people the import leaves out."""
    parser.add_argument(
        "--no-notes",
        action="store_true",
        help="leave out the note column (free text may name people, and goes into the log)",
    )
    parser.add_argument(
        "--no-names",
        action="store_true",
        help="leave out the members' names (by default they become the accounts' display names,"
        " kept outside the log, where the file has them and the account has none yet)",
    )


@dataclass
class Outcome:
    problems: list[Problem] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    done: set[int] = field(default_factory=set)  # chunks that an earlier run recorded
    verdict: Verdict = field(default_factory=Verdict)  # the ledger's, on the other chunks

    def rows_done(self) -> int:
        return sum(len(c.items) for c in self.chunks if c.index in self.done)


def run(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return _fail(f"{args.file}: cannot read it as UTF-8 text ({error})", 2)
    ledger = Ledger()
    try:
        return _import(ledger, args, text)
    except UnknownOrganisation as error:
        return _fail(f"{error.detail}; register it first (POST /v1/organisations)", 2)
    except InvalidRequest as error:  # of the options, before any row
        return _fail(f"--credit-limit: {error.detail}", 2)
    except FileProblem as error:
        return _fail(f"{args.file}: {error}", 1)
    finally:
        ledger.close()


def _import(ledger: Ledger, args: argparse.Namespace, text: str) -> int:
    org = args.organisation
    ledger.get_organisation(org)  # an unknown organisation is refused before any row
    options = Options(org, args.create_accounts, args.credit_limit)
    options.opening()  # so is a --credit-limit the ledger would refuse
    rows = read_rows(text, args.format)
    reading = Reading(org, ledger.today(), args.date_format, keep_notes=not args.no_notes)
    outcome = judge(ledger, options, [parse_row(row, reading) for row in rows])
    if outcome.problems:
        for problem in sorted(outcome.problems, key=lambda p: p.line):
            print(f"{args.file}:{problem.line}: {problem.message}", file=sys.stderr)
        bad = len({p.line for p in outcome.problems})
        return _fail(f"Nothing recorded: {bad} of {len(rows)} rows refused.", 1)
    names = _names(args, outcome)
    if args.dry_run:
        found = f" {len(names.by_account)} display name(s) in the file, none set."
        print(f"Dry run of {args.file}, nothing recorded: {_summary(outcome)}{found}")
        return 0
    for account_id, kind in sorted(outcome.verdict.new_accounts.items()):
        ledger.open_account(
            org, split_account_id(account_id)[1], kind, credit_limit=args.credit_limit
        )
    position = _record(ledger, org, outcome, args.file)
    if position is None:
        return 1
    filled = fill_names(ledger, org, names)
    kept = len(names.by_account) - filled
    named = f" {filled} display name(s) set" + (f", {kept} kept as they were." if kept else ".")
    print(f"Imported {args.file}: {_summary(outcome)} Last position: {position}.{named}")
    return 0


def _names(args: argparse.Namespace, outcome: Outcome) -> Names:
    """The display names the file gives, each one the ledger would refuse named by line."""
    if args.no_names:
        return Names()
    items = [item for chunk in outcome.chunks for item in chunk.items]
    names = names_in(items, args.organisation)
    for line, why in names.refused:
        print(f"{args.file}:{line}: {why}", file=sys.stderr)
    return names


def judge(ledger: Ledger, options: Options, parsed: list[Item | Problem]) -> Outcome:
    """Every row's verdict, in file order, by the ledger; chunks an earlier run recorded
    are not judged again."""
    outcome = Outcome(problems=[p for p in parsed if isinstance(p, Problem)])
    outcome.chunks = chunks_of([p for p in parsed if isinstance(p, Item)])
    with progress_bar() as progress:
        task = progress.add_task("Checking rows", total=sum(len(c.items) for c in outcome.chunks))
        for chunk in outcome.chunks:
            if already_recorded(ledger, options.organisation, chunk):
                outcome.done.add(chunk.index)
                progress.advance(task, len(chunk.items))
        todo = [item for c in outcome.chunks if c.index not in outcome.done for item in c.items]
        outcome.verdict = check_rows(ledger, options, todo)
        outcome.problems += outcome.verdict.problems
        progress.advance(task, len(todo))
    return outcome


def _record(ledger: Ledger, org: str, outcome: Outcome, path: Path) -> int | None:
    position = 0
    with progress_bar() as progress:
        task = progress.add_task("Recording", total=sum(len(c.items) for c in outcome.chunks))
        for chunk in outcome.chunks:
            if chunk.index in outcome.done:
                # Recorded by an earlier run: asking again would only replay its answer.
                progress.advance(task, len(chunk.items))
                continue
            try:
                position = max(position, record(ledger, org, chunk).position)
            except LedgerError as error:
                line = chunk.items[int(error.extra.get("index", 0))].line
                print(f"{path}:{line}: {error.detail}", file=sys.stderr)
                _stopped(chunk, len(outcome.chunks))
                return None
            progress.advance(task, len(chunk.items))
    return position or ledger.head_position()


def _stopped(chunk: Chunk, chunks: int) -> None:
    print(
        f"Stopped at chunk {chunk.index + 1} of {chunks} (rows from line {chunk.first_line}):"
        " the ledger changed since the rows were checked. The chunks before it are recorded;"
        " running the same file again will not record them twice.",
        file=sys.stderr,
    )


def _summary(outcome: Outcome) -> str:
    verdict = outcome.verdict
    new = verdict.completed + verdict.pending
    done = outcome.rows_done()
    if new == 0 and done:
        return f"nothing new: all {done} row(s) were recorded by an earlier run."
    text = (
        f"{new} new exchange(s), {verdict.completed} completed and {verdict.pending} awaiting"
        f" confirmation by another organisation; {len(verdict.new_accounts)} new account(s)."
    )
    if done:
        text += f" {done} row(s) were recorded by an earlier run and are not recorded again."
    return text


def _fail(message: str, status: int) -> int:
    print(message, file=sys.stderr)
    return status
