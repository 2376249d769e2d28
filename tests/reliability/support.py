"""Servers and projection workers as process groups a test can kill outright, and a client."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


@dataclass
class Service:
    """One `timebank` command in a process group of its own (its children included)."""

    command: list[str]
    env: dict[str, str]
    workdir: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    base_url: str = ""

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, env=self.env, cwd=self.workdir, stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL to the whole group: no handler, no flush, no goodbye."""
        assert self.process is not None
        _signal_group(self.process, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        _signal_group(self.process, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"exited early:\n{self.output()[-4000:]}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"not healthy in {STARTUP_SECONDS}s:\n{self.output()[-4000:]}")


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def inherited() -> dict[str, str]:
    """This environment without any TIMEBANK_ setting of the machine running the tests."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TIMEBANK_")}


def environment(database_url: str, admin_key: str, **extra: str) -> dict[str, str]:
    return {
        **inherited(),
        "TIMEBANK_DATABASE_URL": database_url,
        "TIMEBANK_ADMIN_KEY": admin_key,
        "PYTHONPATH": str(ROOT),
        "TIMEBANK_RATE_LIMIT": "100000",
        **extra,
    }


def api_service(env: dict[str, str], workdir: Path, *extra: str) -> Service:
    port = free_port()
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), *extra]
    service = Service(command, env, workdir, workdir / f"serve-{port}.log")
    service.base_url = f"http://127.0.0.1:{port}"
    return service


def projector_service(env: dict[str, str], workdir: Path) -> Service:
    command = [sys.executable, "-m", "api.cli", "project"]
    return Service(command, env, workdir, workdir / f"project-{uuid.uuid4().hex[:6]}.log")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def created(client: httpx.Client, key: str, path: str, body: Any) -> dict[str, Any]:
    response = client.post(path, json=body, headers=bearer(key))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


@dataclass
class Partner:
    """One organisation with a broker key and accounts, made through the API."""

    org: str
    broker: str
    accounts: list[str]


def register_partner(
    client: httpx.Client, admin_key: str, accounts: int, **settings: Any
) -> Partner:
    org = f"org-{uuid.uuid4().hex[:10]}"
    created(client, admin_key, "/v1/organisations", {"id": org, "name": org, **settings})
    broker = created(client, admin_key, "/v1/keys", {"role": "broker", "organisation": org})
    refs = [f"m-{n:03d}" for n in range(accounts)]
    ids = [created(client, broker["key"], "/v1/accounts", {"ref": ref})["id"] for ref in refs]
    return Partner(org, broker["key"], ids)


def read_all(client: httpx.Client, key: str, path: str, items: str, **params: Any) -> list[Any]:
    """Every page of a paged read."""
    found: list[Any] = []
    cursor = None
    while True:
        query = {**params, "limit": 1000, **({"after": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=bearer(key))
        assert response.status_code == 200, response.text
        page = response.json()
        found.extend(page[items])
        if not (cursor := page["next"]):
            return found
