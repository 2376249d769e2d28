"""`timebank serve`: the HTTP API on uvicorn, with the projection workers beside it."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from api.commands import timebank
from api.logging_setup import uvicorn_log_config
from api.settings import configured_admin_key
from ledger.settings import Database, SettingsError, database_url, parse_database_url

PR_SET_PDEATHSIG = 1
STARTUP_FAILURE = 3  # uvicorn's own exit status when it cannot start
NOTHING_STARTED = "Nothing was started and no admin key was made; choose another --port."


def register(commands: Any) -> None:
    """Add this module's commands to the `timebank` parser."""
    parser = commands.add_parser(
        "serve",
        help="run the HTTP API (and, unless told not to, the projection workers)",
        description="Run the HTTP API. The database comes from TIMEBANK_DATABASE_URL "
        "(default sqlite:///var/timebank.sqlite3).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument("--workers", type=int, default=1, help="API worker processes")
    parser.add_argument(
        "--no-projections",
        action="store_true",
        help="do not run the projection workers here (run `timebank project` elsewhere)",
    )
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.server_limits import HeadTimeoutProtocol, ServerLimits

    try:
        database = parse_database_url(database_url())
        configured_admin_key()
    except SettingsError as error:
        print(f"timebank serve: {error}", file=sys.stderr)
        return 2
    if (taken := _address_taken(args.host, args.port)) is not None:
        where = f"{args.host}:{args.port}"
        print(f"timebank serve: cannot listen on {where}: {taken}.", file=sys.stderr)
        print(NOTHING_STARTED, file=sys.stderr)
        return STARTUP_FAILURE
    base = f"http://{_display_host(args.host)}:{args.port}"
    print(f"Timebank Ledger API on {base} (interactive docs: {base}/docs)", flush=True)
    print(f"Pages for brokers and auditors: {base}/app", flush=True)
    print(f"Database: {_redacted(database.url)} ({database.kind})", flush=True)
    _offer_demo(database)
    limits = ServerLimits.from_env()
    with _metrics_dir(args.workers), _projection_workers(not args.no_projections):
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            http=HeadTimeoutProtocol,
            limit_concurrency=limits.limit_concurrency,
            loop="uvloop",
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=uvicorn_log_config(),
            access_log=False,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=10,
        )
    return 0


def _address_taken(host: str, port: int) -> str | None:
    """Why the server could not listen there, found before the app starts: the app's start
    makes the shown-once admin key, which a start that then fails to bind would waste."""
    try:
        family = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)[0][0]
        socket.create_server((host, port), family=family).close()
    except OSError as error:
        return error.strerror or str(error)
    return None


def _offer_demo(database: Database) -> None:
    """On an empty ledger, say how to fill it with a year of sample activity."""
    from api.commands.demo import ledger_is_empty
    from ledger import Ledger

    try:
        ledger = Ledger(database)
    except Exception:  # the API's own start-up reports an unreachable database properly
        return
    try:
        if ledger_is_empty(ledger):
            print(
                f"The ledger is empty: `{timebank()} demo` fills it with a year of sample activity"
                " for three organisations.",
                flush=True,
            )
    finally:
        ledger.close()


@contextlib.contextmanager
def _projection_workers(wanted: bool) -> Iterator[None]:
    """`timebank project` as a child process: one set of workers whatever the API's workers."""
    if not wanted:
        yield
        return
    supervisor = Supervisor([sys.executable, "-m", "api.cli", "project"])
    supervisor.start()
    try:
        yield
    finally:
        supervisor.stop()


class Supervisor:
    """Keeps one child process running: restarted, after a pause, whenever it exits."""

    def __init__(self, command: list[str], pause: float = 1.0) -> None:
        self.command = command
        self.pause = pause
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.child: subprocess.Popen[bytes] | None = None
        self.thread = threading.Thread(target=self._run, name="projection-workers", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        with self.lock:
            self.stopping.set()
            child = self.child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
        self.thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self.lock:
                if self.stopping.is_set():
                    return
                # A session of its own: a Ctrl-C at the terminal reaches the server, which then
                # stops the workers itself instead of racing them to shut down.
                self.child = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                    self.command, preexec_fn=_die_with_parent, start_new_session=True
                )
            code = self.child.wait()
            if self.stopping.wait(self.pause):
                return
            print(f"Projection workers exited with {code}; restarting", file=sys.stderr)


@contextlib.contextmanager
def _metrics_dir(workers: int) -> Iterator[None]:
    """Several workers share their counters through files, so /metrics adds them all up."""
    if workers <= 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="timebank-metrics-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def _die_with_parent() -> None:
    """Linux: the workers get SIGTERM if the server dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 (only displayed)


def _redacted(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@", 1)
    return url
