"""`timebank witness keygen | sync | serve`: what a partner organisation runs to witness.

`keygen` writes the private key (0600) and prints the verifier key to register. `sync`
pulls and cosigns (cron, a systemd timer); `serve` is a tlog-witness checkpoints are pushed
to. Exit 0 done; 1 the witness refused a checkpoint (evidence kept); 2 nothing was checked.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.commands.witness_serve import Witness, make_server
from api.commands.witness_state import StateError, locked, read_state, write_state
from api.commands.witness_sync import Sync, SyncFailed, SyncRefused
from ledger.files import open_private
from projections.tlog.cosignature import Cosigner, parse_cosigner
from projections.tlog.keys import parse_verifier_key
from projections.tlog.note import NoteError
from projections.tlog.witness import Refused, WitnessState

TIMEOUT = 30.0


def register(commands: Any) -> None:
    witness = commands.add_parser("witness", help="cosign the ledger's checkpoints (partners)")
    sub = witness.add_subparsers(dest="witness_command", required=True, metavar="COMMAND")
    keygen = sub.add_parser("keygen", help="make a witness key; print its verifier key")
    keygen.add_argument("--name", required=True, help="the witness's name, e.g. a URL you own")
    keygen.add_argument("--out", required=True, type=Path, metavar="FILE")
    keygen.set_defaults(handler=_keygen)
    sync = sub.add_parser("sync", help="fetch, check and cosign the latest checkpoint")
    sync.add_argument("--ledger", required=True, metavar="URL", help="the ledger's base URL")
    sync.add_argument("--api-key", required=True, metavar="KEY", help="any valid key")
    _state_arguments(sync)
    first = sync.add_mutually_exclusive_group()
    first.add_argument("--from-export", type=Path, metavar="EXPORT", help="first run: recompute")
    first.add_argument("--trust-first", action="store_true", help="first run: trust the log")
    sync.add_argument("--log-key", metavar="VKEY", help="first run: the log key to pin")
    sync.set_defaults(handler=_sync)
    serve = sub.add_parser("serve", help="a C2SP tlog-witness checkpoints are pushed to")
    _state_arguments(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8500)
    serve.add_argument("--log-key", metavar="VKEY", help="no state yet: the log key to trust")
    serve.add_argument("--ledger", metavar="URL", help="to follow rotations of the log's key")
    serve.add_argument("--api-key", metavar="KEY", help="with --ledger: any valid key")
    serve.set_defaults(handler=_serve)


def _state_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", required=True, type=Path, metavar="FILE", help="from keygen")
    parser.add_argument("--state", required=True, type=Path, metavar="FILE")


def _keygen(args: argparse.Namespace) -> int:
    try:
        cosigner = Cosigner(args.name, Ed25519PrivateKey.generate())
        verifier = cosigner.verifier
        with os.fdopen(open_private(args.out, exclusive=True), "w") as file:
            file.write(cosigner.private_text())
    except (NoteError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(verifier)
    return 0


def _cosigner(path: Path) -> Cosigner:
    try:
        return parse_cosigner(path.read_text(encoding="utf-8"))
    except (OSError, NoteError) as error:
        raise SyncFailed(f"cannot use the witness key {path}: {error}") from error


def _sync(args: argparse.Namespace) -> int:
    headers = {"Authorization": f"Bearer {args.api_key}"}
    try:
        with httpx.Client(base_url=args.ledger, headers=headers, timeout=TIMEOUT) as client:
            events = _export(args.from_export) if args.from_export else None
            sync = Sync(
                client, _cosigner(args.key), args.state, events, args.trust_first, args.log_key
            )
            size = sync.run()
    except SyncRefused as refused:
        print(f"refused: {refused}", file=sys.stdout)
        for path in refused.evidence:
            print(f"evidence: {path}")
        return 1
    except (SyncFailed, StateError, NoteError, httpx.HTTPError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"cosigned: size {size}")
    return 0


def _export(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as lines:
        return [orjson.loads(line) for line in lines if line.strip()]


def _serve(args: argparse.Namespace) -> int:
    try:
        cosigner = _cosigner(args.key)
        if args.log_key:
            _bootstrap(args.state, args.log_key)
        if read_state(args.state) is None:
            raise SyncFailed(f"no state at {args.state}: give --log-key or run `witness sync`")
    except (SyncFailed, StateError, NoteError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    witness = Witness(cosigner, args.state, key_history=_history_of(args.ledger, args.api_key))
    server = make_server(witness, args.host, args.port)
    print(f"Witness {cosigner.verifier} on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _history_of(ledger: str | None, api_key: str | None) -> Callable[[], list[Any]] | None:
    """What fetches the ledger's key history, when `serve` was told where the ledger is."""
    if ledger is None:
        return None
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def fetch() -> list[Any]:
        try:
            response = httpx.get(
                f"{ledger.rstrip('/')}/v1/audit/log/keys", headers=headers, timeout=TIMEOUT
            )
            response.raise_for_status()
            return list(response.json()["rotations"])
        except (httpx.HTTPError, ValueError, KeyError) as error:
            raise Refused(403, f"cannot fetch the log's key history: {error}") from error

    return fetch


def _bootstrap(path: Path, vkey: str) -> None:
    """A fresh state trusting `vkey`, unless there is one: its first checkpoint is trusted."""
    key = parse_verifier_key(vkey)
    with locked(path):
        if read_state(path) is None:
            write_state(path, WitnessState(key.name, (str(key),)))
