"""The witness commands as partners run them, against `timebank serve` over real HTTP.

Two organisations witness in pull mode (`timebank witness keygen` and `witness sync`, each a
subprocess), a third runs `timebank witness serve` and the server's own projection worker
pushes checkpoints to it; the quorum is then met. The witness killed mid-sync is tested in
process (tests/integration/test_witnesses.py): a subprocess cannot be stopped at that point
deterministically without a hook in the command itself.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from projections.tlog.checkpoint import parse_checkpoint
from projections.tlog.cosignature import parse_cosigner
from projections.tlog.policy import parse_policy, verify_witnessed
from tests.e2e.conftest import ROOT, free_port, start_server
from tests.e2e.support import Api, Organisation, Server, exchange, register

ORIGIN = "ledger.example/witnessed-e2e"
SECONDS = 60


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("witness-cli")
    env = {"TIMEBANK_CHECKPOINT_SECONDS": "0.2", "TIMEBANK_LOG_ORIGIN": ORIGIN}
    server = start_server(f"sqlite:///{workdir}/timebank.sqlite3", workdir, env=env)
    yield server
    server.stop()


def timebank(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=environment, capture_output=True, text=True, timeout=SECONDS,
    )  # fmt: skip
    assert not check or done.returncode == 0, done.stdout + done.stderr
    return done


def keygen(folder: Path, org: Organisation, api: Api, url: str | None = None) -> Path:
    key = folder / f"{org.id}.key"
    vkey = timebank("witness", "keygen", "--name", f"witness.example/{org.id}", "--out", str(key))
    body = {"vkey": vkey.stdout.strip(), "url": url}
    api.as_(org.broker).created(f"/v1/organisations/{org.id}/witness-keys", body)
    return key


def checkpoint_after(api: Api, org: Organisation) -> int:
    """Record an exchange, and wait for a checkpoint that covers it: its size."""
    before = api.admin.get("/v1/audit/log/checkpoint")
    size = parse_checkpoint_size(before.text) if before.status_code == 200 else 0
    api.as_(org.broker).created("/v1/exchanges", exchange(*org.accounts, minutes=15))
    return wait_for(lambda: _grown(api.admin, size))


def parse_checkpoint_size(note: str) -> int:
    return int(note.split("\n")[1])


def _grown(api: Api, size: int) -> int | None:
    response = api.get("/v1/audit/log/checkpoint")
    grown = parse_checkpoint_size(response.text) if response.status_code == 200 else 0
    return grown if grown > size else None


def wait_for(found: Callable[[], int | None]) -> int:
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        value = found()
        if value:
            return int(value)
        time.sleep(0.2)
    raise AssertionError("gave up waiting")


def sync(ledger: Server, org: Organisation, key: Path, *first: str) -> str:
    state = key.with_suffix(".state")
    done = timebank(
        "witness", "sync", "--ledger", ledger.base_url, "--api-key", org.broker,
        "--key", str(key), "--state", str(state), *first,
    )  # fmt: skip
    return done.stdout


@contextlib.contextmanager
def serving(key: Path, port: int, vkey: str, ledger: Server, broker: str) -> Iterator[None]:
    """`timebank witness serve` in a subprocess, following rotations through the ledger."""
    log = (key.parent / "witness-serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "witness", "serve", "--key", str(key),
         "--state", str(key.with_suffix(".state")), "--port", str(port), "--log-key", vkey,
         "--ledger", ledger.base_url, "--api-key", broker],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=log,
    )  # fmt: skip
    try:
        wait_for(lambda: _listening(port))
        yield
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_two_pull_witnesses_and_one_pushed_to_meet_the_quorum(
    ledger: Server, tmp_path: Path
) -> None:
    with Api(ledger) as api:
        a, b, c = (register(api) for _ in range(3))
        keys = {org.id: keygen(tmp_path, org, api) for org in (a, b)}
        checkpoint_after(api, a)
        broker = api.as_(a.broker)
        assert "cosigned: size" in sync(ledger, a, keys[a.id], "--trust-first")
        assert broker.get("/v1/audit/log/checkpoint?witnessed=true").status_code == 404
        port, vkey = free_port(), broker.get("/v1/audit/log/key").text.strip()
        pushed = tmp_path / f"{c.id}.key"
        with serving(pushed_key(pushed, c), port, vkey, ledger, c.broker):
            keygen_registered(api, c, pushed, f"http://127.0.0.1:{port}")
            size = checkpoint_after(api, a)
            assert f"cosigned: size {size}" in sync(ledger, b, keys[b.id], "--trust-first")
            assert f"cosigned: size {size}" in sync(ledger, a, keys[a.id])
            wait_for(lambda: _cosigned_by(broker, 3))  # the worker pushed to the third
        policy = parse_policy(broker.get("/v1/audit/log/policy").text)
        witnessed = broker.get("/v1/audit/log/checkpoint?witnessed=true")
        assert witnessed.status_code == 200, witnessed.text
        checked, cosigned = verify_witnessed(policy, witnessed.text)
        assert parse_checkpoint(checked.text).size == size
        assert len(cosigned) == 3


def pushed_key(path: Path, org: Organisation) -> Path:
    timebank("witness", "keygen", "--name", f"witness.example/{org.id}", "--out", str(path))
    return path


def keygen_registered(api: Api, org: Organisation, key: Path, url: str) -> None:
    vkey = str(parse_cosigner(key.read_text()).verifier)
    api.as_(org.broker).created(
        f"/v1/organisations/{org.id}/witness-keys", {"vkey": vkey, "url": url}
    )


def _cosigned_by(api: Api, count: int) -> int | None:
    note = api.get("/v1/audit/log/checkpoint").text
    policy = parse_policy(api.get("/v1/audit/log/policy").text)
    cosigned = policy.cosignatures(policy.log_signed(note))
    return 1 if len(cosigned) >= count else None


def _listening(port: int) -> int | None:
    try:
        httpx.post(f"http://127.0.0.1:{port}/add-checkpoint", content=b"x", timeout=1)
    except httpx.TransportError:
        return None
    return 1
