"""`timebank audit rotate-key` and `timebank audit key-history`: replace the signing key.

`rotate-key --new-key FILE` runs where the projection worker runs (it reads the configured
key and the database): it records the rotation statement, signed by the old key and the
new, then puts the new key in place of the configured key file. The worker signs with the
new key from its next checkpoint on. Exit 0 rotated; 1 refused (nothing changed, or the key
file could not be replaced: the message says what to do); 2 a key could not be read.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import Ledger, parse_database_url
from ledger.files import open_private
from ledger.ports import utc_now
from ledger.settings import database_url
from projections.audit_checkpoints import iso_utc
from projections.audit_key_store import NotYetNoted, key_history, record_rotation
from projections.audit_keys import KeyHistoryError, note_key
from projections.audit_log import AuditLog
from projections.audit_signing import (
    SigningKeyError,
    load_key_file,
    load_signing_key,
    signing_key_path,
)
from projections.store import ViewStore
from projections.tlog_checkpoints import create_notes_table, log_origin

WAIT_SECONDS = 30.0


def register(sub: Any) -> None:
    rotate = sub.add_parser("rotate-key", help="replace the checkpoint and log signing key")
    rotate.add_argument(
        "--new-key", required=True, type=Path, metavar="FILE",
        help="the new key (PEM Ed25519 private key; made there, 0600, if missing)",
    )  # fmt: skip
    rotate.add_argument("--wait", type=float, default=WAIT_SECONDS, metavar="SECONDS")
    rotate.set_defaults(handler=_rotate)
    history = sub.add_parser("key-history", help="write the signing key's history, to keep")
    history.add_argument("--out", type=Path, metavar="FILE")
    history.set_defaults(handler=_history)


def _keys(new_key: Path) -> tuple[Ed25519PrivateKey, Ed25519PrivateKey]:
    old = load_signing_key(create=False)
    if old is None:
        raise SigningKeyError("no signing key yet: there is nothing to rotate")
    try:
        return old, load_key_file(new_key, create=True)
    except (OSError, ValueError) as error:
        raise SigningKeyError(f"cannot use {new_key} as the new key: {error}") from error


def _rotate(args: argparse.Namespace) -> int:
    try:
        old, new = _keys(args.new_key)
    except SigningKeyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    ledger = Ledger(parse_database_url(database_url()))
    try:
        statement = _record(AuditLog(ledger.recorder).view, old, new, args.wait)
    except (KeyHistoryError, NotYetNoted) as error:
        print(f"refused: {error}; nothing changed")
        return 1
    finally:
        ledger.close()
    return _install(new, args.new_key, statement)


def _record(
    view: ViewStore, old: Ed25519PrivateKey, new: Ed25519PrivateKey, wait: float
) -> dict[str, Any]:
    """Record the rotation once the last checkpoint has its note (the worker makes it)."""
    create_notes_table(view)
    deadline = time.monotonic() + wait
    while True:
        try:
            return record_rotation(view, old, new, log_origin(), iso_utc(utc_now()))
        except NotYetNoted:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _install(new: Ed25519PrivateKey, source: Path, statement: dict[str, Any]) -> int:
    """The new key in place of the configured key file (written beside, then renamed)."""
    path = signing_key_path()
    vkey = note_key(str(statement["origin"]), str(statement["key"]))
    print(
        f"rotated: key {statement['previous_key']} -> {statement['key']} after position"
        f" {statement['after_position']} (tree size {statement['after_size']}); log key {vkey}"
    )
    if path.resolve() == source.resolve():
        return 0
    pem = new.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        with os.fdopen(open_private(temporary, exclusive=True), "wb") as file:
            file.write(pem)
        os.replace(temporary, path)
    except OSError as error:
        print(
            f"error: the rotation is recorded, but {path} could not be replaced ({error}):"
            f" copy {source} there; no checkpoint is signed until then",
            file=sys.stderr,
        )
        return 1
    print(f"the signing key file {path} now holds the new key; {source} may be removed")
    return 0


def _history(args: argparse.Namespace) -> int:
    ledger = Ledger(parse_database_url(database_url()))
    try:
        text = orjson.dumps(
            {"rotations": key_history(AuditLog(ledger.recorder).view)}, option=orjson.OPT_INDENT_2
        ).decode()
    finally:
        ledger.close()
    if args.out is None:
        print(text)
    else:
        args.out.write_text(text + "\n")
    return 0
