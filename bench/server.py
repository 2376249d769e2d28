"""A real `timebank serve` in a subprocess, for the HTTP scenarios."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

TIMEBANK = Path(sys.executable).with_name("timebank")


@dataclass
class Server:
    url: str
    admin_key: str
    process: subprocess.Popen[bytes]

    def tree(self) -> list[int]:
        """The server's process and all its descendants (API workers, projection worker)."""
        pids, frontier = [self.process.pid], [self.process.pid]
        while frontier:
            pid = frontier.pop()
            for child in _children(pid):
                pids.append(child)
                frontier.append(child)
        return pids

    def peak_rss_mb(self) -> float:
        """The largest peak resident memory of any one process of the server."""
        return max((_peak_rss_kb(pid) for pid in self.tree()), default=0) / 1024


@contextmanager
def running(database_url: str, workers: int, tmp: Path) -> Iterator[Server]:
    port = _free_port()
    admin_key = secrets.token_hex(24)
    env = {
        **os.environ,
        "TIMEBANK_DATABASE_URL": database_url,
        "TIMEBANK_ADMIN_KEY": admin_key,
        "TIMEBANK_RATE_LIMIT": "1000000",
        "TIMEBANK_LOG_LEVEL": "WARNING",
    }
    command = [str(TIMEBANK), "serve", "--port", str(port), "--workers", str(workers)]
    with (tmp / "server.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=tmp, stdout=log, stderr=log,
                                   start_new_session=True)  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", admin_key, process)
    tree: list[int] = []
    try:
        _wait_ready(server, tmp / "server.log")
        yield server
    finally:
        tree = server.tree()
        _stop_group(process)
        # The projection worker runs in a session of its own (so that a Ctrl-C reaches only
        # the server): wait for it too, or a replay could find its lock still held.
        _wait_gone(tree)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and every process it started: the projection worker must have let go
    of its lock before anything that follows (a replay) starts."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    for signal_then in (None, signal.SIGKILL):
        if signal_then is not None and _group_alive(process.pid):
            os.killpg(process.pid, signal_then)
        deadline = time.monotonic() + 10
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)


def _wait_gone(pids: list[int], timeout: float = 30) -> None:
    """Wait for these processes to exit; kill what is left after `timeout`, then wait as long."""
    for last_round in (False, True):
        deadline = time.monotonic() + timeout
        while alive := [p for p in pids if Path(f"/proc/{p}").exists() and not _zombie(p)]:
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        else:
            return
        if last_round:
            return
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return False


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_ready(server: Server, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not become ready:\n{log.read_text()[-3000:]}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return children


def _peak_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
