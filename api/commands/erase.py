"""`timebank erase finalise`: leave no copy of erased personal data in the database's files.

Each erasure already does this on SQLite (secure_delete, and a truncating checkpoint of the
write-ahead log) and runs VACUUM (FULL) of the personal-data tables on Postgres. The command
runs the same step again: after a checkpoint that readers held back, or on a schedule.
"""

from __future__ import annotations

import argparse
from typing import Any

from ledger import Ledger


def register(commands: Any) -> None:
    erase = commands.add_parser("erase", help="personal data: make erasures final on disk")
    sub = erase.add_subparsers(dest="erase_command", required=True, metavar="COMMAND")
    finalise = sub.add_parser(
        "finalise", help="checkpoint SQLite's WAL, or VACUUM (FULL) the tables on Postgres"
    )
    finalise.set_defaults(handler=_finalise)


def _finalise(args: argparse.Namespace) -> int:
    ledger = Ledger()
    try:
        print(ledger.finalise_erasures())
    finally:
        ledger.close()
    return 0
