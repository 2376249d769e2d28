"""`timebank export` and `timebank audit ...`: take the history away and check it.

`audit verify FILE` and `audit balances FILE` work from an export alone: no server, no
database. Progress bars go to stderr, so stdout stays a clean result for scripts.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import sys
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from rich.progress import Progress

from api.commands import audit_rotate, audit_texts, tlog
from api.commands.audit_trust import (
    UNPINNED,
    Pin,
    expected_signer,
    pinned_key,
    read_statements,
    trust_notes,
)
from api.commands.export_csv import export_spreadsheets
from api.progress import progress_bar
from ledger import Ledger, parse_database_url
from ledger.settings import database_url
from projections.audit_chain import AuditChain
from projections.audit_export import (
    Expected,
    export_to,
    load_checkpoint,
    read_export,
    stored_checkpoints,
)
from projections.audit_key_store import key_history
from projections.audit_keys import KeyHistoryError
from projections.audit_log import AuditLog
from projections.audit_replay import PositionPastTheEnd, replay_balances
from projections.audit_signing import (
    SigningKeyError,
    load_signing_key,
    public_key_text,
)
from projections.audit_verify import ChainBroken, Entry, Mark, Outcome, baseline_marks, verify
from projections.runner import Runner
from projections.store import StaleProjection

EXPORT_FORMATS = ("jsonl", "csv")
MIB = 2**20


def register(commands: Any) -> None:
    """Add `export` and `audit` to the `timebank` parser."""
    _register_export(commands)
    audit = commands.add_parser("audit", help="verify the hash chain; replay balances offline")
    sub = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    check = _register_verify(sub)
    _register_balances(sub)
    latest = sub.add_parser("checkpoint", help="write the latest signed checkpoint, to keep")
    latest.add_argument("--out", type=Path, metavar="FILE")
    latest.set_defaults(handler=_checkpoint)
    key = sub.add_parser("public-key", help="print the checkpoint signing key's public key")
    key.set_defaults(handler=_public_key)
    tlog.register(sub, check)  # the transparency log's verbs
    audit_rotate.register(sub)
    audit_texts.register(sub)


def _register_export(commands: Any) -> None:
    export = commands.add_parser(
        "export",
        help="write every event with its chain hash, or tables for spreadsheets",
        description="jsonl (default): every event in the audit shape, one per line, to FILE. "
        "csv: FILE is a directory; writes exchanges.csv (every exchange with its current status) "
        "and balances.csv (every account's balance, given and received), in minutes and hours.",
    )
    export.add_argument("--out", required=True, type=Path, metavar="FILE")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl")
    export.add_argument(
        "--organisation",
        metavar="ORG",
        help="csv only: ORG's accounts and exchanges",
    )
    export.set_defaults(handler=_export)


def _register_verify(sub: Any) -> argparse.ArgumentParser:
    check: argparse.ArgumentParser = sub.add_parser(
        "verify", help="recompute the hash chain of an export or the database"
    )
    check.add_argument("file", nargs="?", type=Path, metavar="FILE", help="an export")
    check.add_argument("--database", action="store_true", help="the configured database")
    check.add_argument("--checkpoint", type=Path, help="a signed checkpoint you kept (JSON)")
    check.add_argument(
        "--public-key",
        metavar="KEY",
        help="the signer to pin, base64 or PEM file (default: the configured signing key, if here;"
        " a checkpoint with neither fails)",
    )
    check.add_argument("--baseline", type=Path, metavar="EXPORT", help="an earlier export kept")
    check.add_argument(
        "--key-history",
        type=Path,
        metavar="FILE",
        help="the signing key's history (GET /v1/audit/log/keys), when the key was rotated;"
        " with --database, the database's by default",
    )
    check.set_defaults(handler=_verify, parser=check)
    return check


def _register_balances(sub: Any) -> None:
    balances = sub.add_parser("balances", help="replay an export: CSV account,balance")
    balances.add_argument("file", type=Path, metavar="FILE")
    when = balances.add_mutually_exclusive_group()
    when.add_argument(
        "--as-of", type=_date, metavar="DATE", help="as recorded by the end of that UTC day"
    )
    when.add_argument("--position", type=int, metavar="N", help="after the event at N")
    balances.add_argument(
        "--service-date-to",
        type=_date,
        metavar="DATE",
        help="count only exchanges with a service date on or before DATE",
    )
    balances.set_defaults(handler=_balances)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error


class _Meter:
    """A progress bar on stderr, redrawn at most a thousand times whatever the log's size."""

    def __init__(self, bar: Progress, total: int, scale: int) -> None:
        self.bar, self.scale, self.done, self.shown = bar, scale, 0, 0
        self.step = max(total // 1000, 1)
        self.task = bar.add_task("", total=max(total // scale, 1))

    def advance(self, amount: int) -> None:
        self.to(self.done + amount)

    def to(self, done: int) -> None:
        self.done = done
        if done - self.shown >= self.step:
            self.bar.update(self.task, completed=done // self.scale)
            self.shown = done


@contextlib.contextmanager
def _meter(description: str, total: int, scale: int = 1) -> Iterator[_Meter]:
    """`scale`: counted units per shown unit (2**20 shows bytes read as MiB)."""
    with progress_bar() as bar:
        meter = _Meter(bar, total, scale)
        bar.update(meter.task, description=description)
        yield meter
        bar.update(meter.task, completed=meter.done // scale)


@contextlib.contextmanager
def _database() -> Iterator[tuple[Ledger, AuditLog]]:
    ledger = Ledger(parse_database_url(database_url()))
    try:
        yield ledger, AuditLog(ledger.recorder)
    finally:
        ledger.close()


def _export(args: argparse.Namespace) -> int:
    if args.format == "csv":
        return export_spreadsheets(args.out, args.organisation)
    if args.organisation is not None:
        print("--organisation applies to --format csv only", file=sys.stderr)
        return 2
    with _database() as (_, log):
        chain = AuditChain(log.view)
        with contextlib.suppress(StaleProjection):  # another process is chaining: fine
            Runner(log.recorder, [chain]).catch_up(chain)
        head, digest = log.head()
        with _meter(f"exporting to {args.out}", head) as meter:
            count = export_to(args.out, log.all_events(until=head), meter.to)
    print(f"exported {count} events to {args.out}, head {digest}", file=sys.stderr)
    return 0


def _verify(args: argparse.Namespace) -> int:
    if (args.file is None) == (not args.database):
        args.parser.error("give either an export FILE or --database")
    try:
        pin = pinned_key(args.public_key)
        if args.checkpoint and pin is None:
            print(f"failed: {UNPINNED}")
            return 1
        texts: list[str] = []
        if args.database:
            outcome, texts = _verify_database(args, pin)
        else:
            expected = expected_signer(pin, read_statements(args.key_history))
            kept, baseline = _kept(args, expected)
            with _meter(f"verifying {args.file} (MiB)", _size(args.file), MIB) as meter:
                outcome = verify(read_export(args.file, meter.advance), [kept], baseline)
    except (ChainBroken, KeyHistoryError) as broken:
        print(f"failed: {broken}")
        return 1
    except (OSError, ValueError, SigningKeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    _report(outcome, trust_notes(outcome, pin, baseline=args.baseline is not None) + texts)
    return 0


def _kept(args: argparse.Namespace, expected: Expected) -> tuple[list[Mark], Iterable[Mark]]:
    """The checkpoint and the baseline export the auditor kept, if any."""
    kept = [load_checkpoint(args.checkpoint, expected)] if args.checkpoint else []
    baseline = baseline_marks(read_export(args.baseline)) if args.baseline else ()
    return kept, baseline


def _verify_database(args: argparse.Namespace, pin: Pin | None) -> tuple[Outcome, list[str]]:
    """The chain's outcome, and what became of the notes and reasons (audit_texts.py)."""
    with _database() as (ledger, log):
        census = audit_texts.census_of(ledger)
        statements = read_statements(args.key_history) or key_history(log.view)
        expected = expected_signer(pin, statements)
        kept, baseline = _kept(args, expected)
        stored = stored_checkpoints(log.all_checkpoints(), expected)
        head, _ = log.head()
        total = log.recorder.max_notification_id() or 0
        with _meter("verifying the database", total) as meter:
            entries = audit_texts.counted(_metered(log.stored_entries(), meter), census)
            outcome = verify(entries, [kept, stored], baseline, chain_head=head)
        return outcome, audit_texts.report(census)


def _size(path: Path) -> int:
    return path.stat().st_size


def _metered(entries: Iterable[Entry], meter: _Meter) -> Iterator[Entry]:
    for entry in entries:
        meter.to(entry.position)
        yield entry


def _report(outcome: Outcome, notes: list[str]) -> None:
    print(f"ok: {outcome.events} events, head {outcome.head}")
    for note in notes:
        print(note, file=sys.stderr)
    if outcome.unchained:
        print(f"{outcome.unchained} latest events are not chained yet", file=sys.stderr)


def _balances(args: argparse.Namespace) -> int:
    try:
        with _meter(f"replaying {args.file} (MiB)", _size(args.file), MIB) as meter:
            events = (e.event for e in read_export(args.file, meter.advance) if e.event)
            balances = replay_balances(
                events,
                position=args.position,
                as_of=args.as_of,
                service_date_to=args.service_date_to,
            )
    except (OSError, ChainBroken) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except PositionPastTheEnd as error:
        print(f"error: --position: {error}", file=sys.stderr)
        return 2
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["account", "balance"])
    writer.writerows(sorted(balances.items()))
    return 0


def _checkpoint(args: argparse.Namespace) -> int:
    with _database() as (_, log):
        checkpoint = log.latest_checkpoint()
    if checkpoint is None:
        print("error: no checkpoint has been made yet", file=sys.stderr)
        return 1
    text = orjson.dumps(checkpoint, option=orjson.OPT_INDENT_2).decode() + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text)
    return 0


def _public_key(args: argparse.Namespace) -> int:
    del args
    try:
        print(public_key_text(load_signing_key(create=False) or _missing_key()))
    except SigningKeyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _missing_key() -> Any:
    raise SigningKeyError("no signing key yet: it is made on the first start of the service")
