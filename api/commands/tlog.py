"""`timebank audit` verbs of the transparency log, all offline (no server, no database).

`verify FILE --note NOTE --log-key VKEY` (added to `audit verify`), `verify-receipt`,
`verify-consistency` and `log-key`. Exit 0 `ok: ...`; 1 `failed: <what>: ...` where what is
signature, root, proof, size, event, or with `--policy` quorum or policy; 2 when an input
cannot be read.
"""

from __future__ import annotations

import argparse
import base64
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from api.commands.audit_trust import read_statements
from projections.audit_keys import KeyHistoryError, NoteKeys, verify_history
from projections.audit_signing import SigningKeyError, load_signing_key
from projections.tlog.keys import NoteSigner, VerifierKey, parse_verifier_key
from projections.tlog.note import NoteError
from projections.tlog_checkpoints import log_origin
from projections.tlog_verify import (
    VerificationFailed,
    verify_export,
    verify_notes_consistent,
    verify_receipt,
)
from projections.witness_verify import witnessed

Handler = Callable[[argparse.Namespace], int]
HISTORY_HELP = "the signing key's history, when the log key was rotated (pinned by --log-key)"


def register(sub: Any, verify: argparse.ArgumentParser) -> None:
    """Add the log's verbs beside `audit verify`, and `--note` / `--log-key` to it."""
    verify.add_argument("--note", type=Path, help="a note checkpoint of the log you kept")
    verify.add_argument("--log-key", metavar="VKEY", help="the log's verifier key (or a file)")
    verify.add_argument(
        "--policy", type=Path, help="with --note: a tlog-policy its quorum must meet"
    )
    chain_verify: Handler = verify.get_default("handler")
    verify.set_defaults(
        handler=lambda args: _verify_note(args) if args.note else chain_verify(args)
    )
    receipt = sub.add_parser("verify-receipt", help="check an exchange receipt offline")
    receipt.add_argument("receipt", type=Path, metavar="RECEIPT")
    receipt.add_argument("--log-key", required=True, metavar="VKEY")
    receipt.add_argument("--policy", type=Path, help="a tlog-policy the receipt's quorum must meet")
    receipt.add_argument("--key-history", type=Path, metavar="FILE", help=HISTORY_HELP)
    receipt.set_defaults(handler=_verify_receipt)
    grown = sub.add_parser("verify-consistency", help="check that a note extends an older one")
    grown.add_argument("old", type=Path, metavar="OLD_NOTE")
    grown.add_argument("new", type=Path, metavar="NEW_NOTE")
    grown.add_argument("--proof", required=True, type=Path, metavar="PROOF")
    grown.add_argument("--log-key", required=True, metavar="VKEY")
    grown.add_argument("--key-history", type=Path, metavar="FILE", help=HISTORY_HELP)
    grown.set_defaults(handler=_verify_consistency)
    key = sub.add_parser("log-key", help="print the transparency log's verifier key")
    key.set_defaults(handler=_log_key)


class Unreadable(Exception):
    pass


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Unreadable(f"cannot read {path}: {error}") from error


def _json(path: Path) -> Any:
    try:
        return orjson.loads(_text(path))
    except orjson.JSONDecodeError as error:
        raise Unreadable(f"{path} is not JSON: {error}") from error


def _key(text: str) -> VerifierKey:
    path = Path(text)
    try:
        return parse_verifier_key(_text(path) if path.is_file() else text)
    except NoteError as error:
        raise Unreadable(str(error)) from error


def _log_keys(args: argparse.Namespace) -> VerifierKey | NoteKeys:
    """`--log-key`, or with `--key-history` the key in force at each size, from the pin."""
    pin = _key(args.log_key)
    if args.key_history is None:
        return pin
    try:
        statements = read_statements(args.key_history)
        history = verify_history(statements, base64.b64encode(pin.public).decode())
    except KeyHistoryError as error:
        raise VerificationFailed("history", str(error)) from error
    if history.origin not in (None, pin.name):
        raise VerificationFailed("history", f"the key history is of another log, {history.origin}")
    return NoteKeys(history, pin.name)


def _events(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open("rb") as lines:
            yield from (orjson.loads(line) for line in lines if line.strip())
    except (OSError, orjson.JSONDecodeError) as error:
        raise Unreadable(f"cannot read {path}: {error}") from error


def _run(check: Callable[[], str]) -> int:
    try:
        print(f"ok: {check()}")
    except VerificationFailed as failed:
        print(f"failed: {failed}")
        return 1
    except (Unreadable, KeyError, TypeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _verify_note(args: argparse.Namespace) -> int:
    if args.file is None or args.log_key is None:
        args.parser.error("--note needs an export FILE and --log-key")

    def check() -> str:
        key = _log_keys(args)
        note = _text(args.note)
        checkpoint = verify_export(_events(args.file), note, key)
        found = (
            f"the export's first {checkpoint.size} events have the root {checkpoint.origin} signed"
        )
        return found + _witnessed(args, note)

    return _run(check)


def _verify_receipt(args: argparse.Namespace) -> int:
    def check() -> str:
        receipt = _json(args.receipt)
        checkpoint = verify_receipt(receipt, _log_keys(args))
        count, exchange = len(receipt["events"]), receipt["exchange"]["id"]
        found = f"{count} events of exchange {exchange} are in the tree of size {checkpoint.size}"
        return found + _witnessed(args, str(receipt["checkpoint"]))

    return _run(check)


def _witnessed(args: argparse.Namespace, note: str) -> str:
    return f"; {witnessed(note, _text(args.policy))}" if args.policy else ""


def _verify_consistency(args: argparse.Namespace) -> int:
    def check() -> str:
        old, new = verify_notes_consistent(
            _text(args.old), _text(args.new), _json(args.proof), _log_keys(args)
        )
        return f"the tree of size {new.size} extends the tree of size {old.size}"

    return _run(check)


def _log_key(args: argparse.Namespace) -> int:
    del args
    try:
        key = load_signing_key(create=False)
    except SigningKeyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if key is None:
        print("error: no signing key yet: it is made on the first start", file=sys.stderr)
        return 1
    print(NoteSigner(log_origin(), key).verifier)
    return 0
