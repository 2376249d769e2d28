"""`timebank project` (the projection workers) and `timebank replay` (rebuild every view).

Both read TIMEBANK_DATABASE_URL. Progress goes to stderr, so stdout stays clean for scripts.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from ledger import Ledger
from ledger.settings import SettingsError
from projections import build
from projections.audit_checkpoints import Checkpointer
from projections.audit_signing import load_signing_key
from projections.replay import Replayed, rebuild
from projections.runner import PAGE
from projections.setup import Projections
from projections.webhooks.sealing import SealingKeyError
from projections.witness_push import start_pushing
from projections.workers import start_beside

REPLAY_PAGE = 20_000
LOCK_PATIENCE = 5.0


def register(commands: Any) -> None:
    """Add `project` and `replay` to the `timebank` parser."""
    project = commands.add_parser(
        "project",
        help="run the projection workers alone (until SIGTERM or Ctrl-C)",
        description="Follow the event log and keep every read model up to date.",
    )
    project.add_argument("--page", type=int, default=PAGE, help="events per transaction")
    project.set_defaults(handler=run_project)
    replay = commands.add_parser(
        "replay",
        help="drop and rebuild every read model from the event log",
        description="Drop every read model and rebuild it from position 0, with a progress "
        "bar. Stop `timebank project` (or `serve`) first on Postgres; it waits its turn.",
    )
    replay.add_argument("--page", type=int, default=REPLAY_PAGE, help="events per transaction")
    replay.add_argument(
        "--wait",
        type=float,
        default=LOCK_PATIENCE,
        metavar="SECONDS",
        help="how long to wait for other projection workers to stop (Postgres)",
    )
    replay.set_defaults(handler=run_replay)


def _open(command: str) -> Ledger | None:
    try:
        return Ledger()
    except SettingsError as error:
        print(f"timebank {command}: {error}", file=sys.stderr)
        return None


def run_project(args: argparse.Namespace) -> int:
    ledger = _open("project")
    if ledger is None:
        return 2
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    projections = build(ledger, page=args.page)
    try:
        checkpoints = _checkpointer(projections)
    except RuntimeError as error:  # the signing key is configured but cannot be used
        print(f"timebank project: {error}", file=sys.stderr)
        ledger.close()
        return 2
    projections.start(ledger)
    if checkpoints is not None:
        checkpoints.start()
    pusher = start_pushing(ledger.recorder, projections.view)  # to witnesses with a URL
    try:
        stop_beside = start_beside(projections, ledger)
    except (SealingKeyError, ValueError) as error:  # the webhook key or settings are unusable
        print(f"timebank project: {error}", file=sys.stderr)
        stopping.set()
        stop_beside = None
    print(f"Projection workers following the event log ({ledger.database.kind})", flush=True)
    stopping.wait()
    pusher.stop()
    if stop_beside is not None:
        stop_beside()
    if checkpoints is not None:
        checkpoints.stop()
    projections.stop()
    ledger.close()
    return 0 if stop_beside is not None else 2


def _checkpointer(projections: Projections) -> Checkpointer | None:
    """Signed audit checkpoints are made where the audit chain is projected."""
    key = load_signing_key()
    return Checkpointer(projections.view, key) if key is not None else None


def run_replay(args: argparse.Namespace) -> int:
    ledger = _open("replay")
    if ledger is None:
        return 2
    try:
        projections = build(ledger, page=args.page)
        with contextlib.ExitStack() as held:
            for projection in projections.all:
                runner = projections.runner
                if not held.enter_context(runner.exclusive(projection.name, args.wait)):
                    print(
                        f"timebank replay: another process runs {projection.name};"
                        " stop `timebank project` / `timebank serve` first",
                        file=sys.stderr,
                    )
                    return 1
            replayed = _rebuild_with_progress(ledger, projections)
    finally:
        ledger.close()
    print(
        f"Replayed {replayed.events} events into every read model"
        f" in {replayed.seconds:.1f}s ({replayed.per_second:,.0f}/s)"
    )
    return 0


def _rebuild_with_progress(ledger: Ledger, projections: Projections) -> Replayed:
    head = ledger.head_position()
    with _progress() as progress:
        task = progress.add_task("Replaying", total=head)

        def show(position: int) -> None:
            done = position >= head
            progress.update(task, completed=position, description="Indexing" if done else None)

        replayed = rebuild(ledger, projections, show)
        progress.update(task, completed=head, description="Replayed")
    return replayed


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} events/s" if speed else "", style="progress.data.speed")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
