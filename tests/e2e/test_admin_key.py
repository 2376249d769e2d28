"""The operator's key: made once on a first start that succeeds, replaced by a configured one."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.conftest import ROOT, free_port, start_server
from tests.e2e.support import Server

GENERATED = re.compile(r"Admin key \(shown once; keep it safe\): (tbk_admin_\S+)")
CONFIGURED = "c" * 40


def serve_once(workdir: Path, *args: str, admin_key: str = "") -> subprocess.CompletedProcess[str]:
    """`timebank serve` that is expected to refuse to start."""
    env = {
        **os.environ,
        "TIMEBANK_DATABASE_URL": f"sqlite:///{workdir}/ledger.sqlite3",
        "TIMEBANK_ADMIN_KEY": admin_key,
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "api.cli", "serve", "--no-projections", *args]
    return subprocess.run(
        command, env=env, cwd=workdir, capture_output=True, text=True, timeout=30, check=False
    )


def generated_key(server: Server) -> str:
    found = GENERATED.search(server.output())
    assert found, server.output()
    return found.group(1)


def status_with(server: Server, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.get(f"{server.base_url}/v1/organisations/none", headers=headers).status_code


def test_a_start_that_cannot_bind_its_port_makes_no_admin_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    with socket.create_server(("127.0.0.1", 0)) as taken:
        refused = serve_once(tmp_path, "--port", str(taken.getsockname()[1]))
    assert refused.returncode == 3
    assert "no admin key was made" in refused.stderr
    assert "tbk_admin_" not in refused.stdout + refused.stderr

    server = start_server(url, tmp_path, "--no-projections", env={"TIMEBANK_ADMIN_KEY": ""})
    try:
        assert status_with(server, generated_key(server)) == 404, "the key is shown on this start"
    finally:
        server.stop()


def test_a_configured_admin_key_revokes_the_generated_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    first = start_server(url, tmp_path, "--no-projections", env={"TIMEBANK_ADMIN_KEY": ""})
    try:
        generated = generated_key(first)
        assert status_with(first, generated) == 404
    finally:
        first.stop()

    second = start_server(url, tmp_path, "--no-projections", env={"TIMEBANK_ADMIN_KEY": CONFIGURED})
    try:
        assert status_with(second, CONFIGURED) == 404
        assert status_with(second, generated) == 401
        assert "The generated admin key is revoked" in second.output()
    finally:
        second.stop()


def test_a_short_configured_admin_key_is_refused_at_start_up(tmp_path: Path) -> None:
    refused = serve_once(tmp_path, "--port", str(free_port()), admin_key="short-secret")

    assert refused.returncode == 2
    assert "TIMEBANK_ADMIN_KEY is 12 characters long; it must be at least 32" in refused.stderr
