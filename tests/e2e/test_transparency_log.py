"""The transparency log over HTTP, checked with the offline verifiers, on SQLite and Postgres."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from projections.tlog.checkpoint import Checkpoint
from projections.tlog.keys import VerifierKey, parse_verifier_key
from projections.tlog.merkle import leaf_hash, root_of
from projections.tlog.proofs import verify_consistency, verify_inclusion
from projections.tlog_verify import export_leaves, signed_checkpoint
from tests.e2e.conftest import ROOT, own_postgres_schema, start_server
from tests.e2e.support import Api, Server, World, assert_problem, build_world, exchange


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def log_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(f"tlog-{request.param}")
    env = {"TIMEBANK_CHECKPOINT_SECONDS": "0.2", "TIMEBANK_LOG_ORIGIN": "ledger.example/test"}
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{workdir}/timebank.sqlite3"
        else:  # a schema of its own: other modules' notes name another origin
            url = stack.enter_context(own_postgres_schema())
        server = start_server(url, workdir, env=env)
        yield server
        server.stop()


@pytest.fixture(scope="module")
def history(log_server: Server) -> Iterator[tuple[Api, World, list[str]]]:
    with Api(log_server) as api:
        world = build_world(api)
        broker = api.as_(world.a.broker)
        ids = [
            broker.created("/v1/exchanges", exchange(*world.a.accounts, minutes=10 + i))["id"]
            for i in range(5)
        ]
        yield api, world, ids


def latest(api: Api, key: VerifierKey, at_least: int) -> tuple[str, Checkpoint]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = api.get("/v1/audit/log/checkpoint")
        if response.status_code == 200:
            checkpoint = signed_checkpoint(response.text, key)
            if checkpoint.size >= at_least:
                return response.text, checkpoint
        time.sleep(0.1)
    raise AssertionError(f"no note checkpoint of size {at_least} within 30 s")


def events(api: Api, at_least: int = 0) -> list[dict[str, Any]]:
    """Every chained event, once the chain holds at least `at_least` of them."""
    deadline = time.monotonic() + 30
    while True:
        found, after = [], 0
        while after is not None:
            page = api.get("/v1/audit/events", params={"after": after, "limit": 1000}).json()
            found += page["events"]
            after = page["next"]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def log_key(api: Api) -> VerifierKey:
    """The key, once the first note is signed (until then: 404 not_found)."""
    deadline = time.monotonic() + 30
    while (response := api.get("/v1/audit/log/key")).status_code == 404:
        assert_problem(response, 404, "not_found")
        assert time.monotonic() < deadline, "no note checkpoint within 30 s"
        time.sleep(0.1)
    assert response.status_code == 200, response.text
    return parse_verifier_key(response.text)


def test_the_checkpoint_root_is_the_root_of_the_export_and_every_proof_verifies(
    history: tuple[Api, World, list[str]],
) -> None:
    api, world, _ = history
    auditor, broker = api.as_(world.auditor), api.as_(world.a.broker)
    exported = events(auditor)
    key = log_key(broker)
    assert key.name == "ledger.example/test"
    note, checkpoint = latest(broker, key, at_least=len(exported))
    leaves = export_leaves(events(auditor, at_least=checkpoint.size))
    assert checkpoint.root == root_of(leaves[: checkpoint.size])
    for event in exported:
        proof = broker.get(
            "/v1/audit/proofs/inclusion",
            params={"position": event["position"], "size": checkpoint.size},
        )
        body = proof.json()
        hashes = [base64.b64decode(h) for h in body["hashes"]]
        assert base64.b64decode(body["leaf_hash"]) == leaves[body["index"]]
        verify_inclusion(
            body["index"], checkpoint.size, leaves[body["index"]], hashes, checkpoint.root
        )
    body = broker.get(
        "/v1/audit/proofs/consistency", params={"from": 4, "to": checkpoint.size}
    ).json()
    hashes = [base64.b64decode(h) for h in body["hashes"]]
    verify_consistency(4, checkpoint.size, root_of(leaves[:4]), checkpoint.root, hashes)
    assert broker.get("/v1/audit/log/checkpoint", params={"size": checkpoint.size}).text == note


def run_stdlib(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The verifier docs/auditors.md hands auditors: Python's standard library only."""
    command = [sys.executable, "-I", str(ROOT / "docs" / "tlog_verify.py"), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "api.cli", "audit", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)


def test_a_receipt_verifies_offline_and_fails_after_any_change_to_an_event(
    history: tuple[Api, World, list[str]], tmp_path: Path
) -> None:
    api, world, ids = history
    broker = api.as_(world.a.broker)
    key = log_key(broker)
    latest(broker, key, at_least=len(events(api.as_(world.auditor))))
    receipt = broker.get(f"/v1/exchanges/{ids[-1]}/receipt").json()
    assert {e["type"] for e in receipt["events"]} >= {"Exchange.Recorded", "Account.Earned"}
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    done = run_cli("verify-receipt", path, "--log-key", str(key))
    assert done.returncode == 0, done.stdout + done.stderr
    assert run_stdlib("receipt", path).returncode == 0
    for i, event in enumerate(receipt["events"]):
        changed = json.loads(json.dumps(receipt))
        changed["events"][i]["data"]["minutes"] = event["data"].get("minutes", 0) + 1
        path.write_text(json.dumps(changed))
        done = run_cli("verify-receipt", path, "--log-key", str(key))
        assert done.returncode == 1, done.stdout
        assert done.stdout.startswith("failed: event"), done.stdout
        assert run_stdlib("receipt", path).returncode == 1
    assert api.as_(world.b.poster).get(f"/v1/exchanges/{ids[-1]}/receipt").status_code == 403


def test_an_export_and_two_notes_verify_offline(
    history: tuple[Api, World, list[str]], tmp_path: Path
) -> None:
    api, world, _ = history
    auditor = api.as_(world.auditor)
    key = log_key(auditor)
    first_note, first = latest(auditor, key, at_least=1)
    api.as_(world.a.broker).created("/v1/exchanges", exchange(*world.a.accounts, minutes=7))
    exported = events(auditor)
    note, checkpoint = latest(auditor, key, at_least=len(exported))
    exported = events(auditor, at_least=checkpoint.size)
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(e) + "\n" for e in exported))
    (tmp_path / "old.txt").write_text(first_note)
    (tmp_path / "new.txt").write_text(note)
    done = run_cli("verify", export, "--note", tmp_path / "new.txt", "--log-key", str(key))
    assert done.returncode == 0, done.stdout + done.stderr
    assert run_stdlib("root", export, tmp_path / "new.txt").returncode == 0
    proof = auditor.get(
        "/v1/audit/proofs/consistency", params={"from": first.size, "to": checkpoint.size}
    )
    (tmp_path / "proof.json").write_text(proof.text)
    args = ("verify-consistency", tmp_path / "old.txt", tmp_path / "new.txt")
    done = run_cli(*args, "--proof", tmp_path / "proof.json", "--log-key", str(key))
    assert done.returncode == 0, done.stdout + done.stderr
    exported[0]["data"]["name"] = "Someone else"
    export.write_text("".join(json.dumps(e) + "\n" for e in exported))
    done = run_cli("verify", export, "--note", tmp_path / "new.txt", "--log-key", str(key))
    assert (done.returncode, done.stdout.split(":")[0:2]) == (1, ["failed", " root"])
    assert run_stdlib("root", export, tmp_path / "new.txt").returncode == 1
    done = run_cli(
        "verify", tmp_path / "missing.jsonl", "--note", tmp_path / "new.txt", "--log-key", str(key)
    )
    assert done.returncode == 2


def test_bad_input_is_a_clear_problem_never_a_500(history: tuple[Api, World, list[str]]) -> None:
    api, world, _ = history
    broker = api.as_(world.a.broker)
    _, checkpoint = latest(broker, log_key(broker), at_least=1)
    assert_problem(broker.get("/v1/audit/log/checkpoint", params={"size": 10**9}), 404, "not_found")
    inclusion = "/v1/audit/proofs/inclusion"
    assert_problem(broker.get(inclusion, params={"position": 10**9}), 404, "not_found")
    assert_problem(broker.get(inclusion, params={"position": 1, "size": 10**9}), 404, "not_found")
    assert_problem(broker.get(inclusion, params={"position": -1}), 422, "invalid_request")
    consistency = "/v1/audit/proofs/consistency"
    params = {"from": checkpoint.size + 1, "to": checkpoint.size}
    assert_problem(broker.get(consistency, params=params), 422, "invalid_request")
    assert_problem(broker.get(consistency, params={"from": 1, "to": 10**9}), 404, "not_found")
    for path in ("x/000", "0/1", "0/000.p/0", "0/000.p/256", "64/000", "0/x1/000", "0/00a"):
        assert_problem(broker.get(f"/v1/audit/log/tile/{path}"), 404, "not_found")
    assert api.get("/v1/audit/log/key").status_code == 401


def test_tiles_hold_the_leaf_hashes_and_entry_bundles_the_events_for_auditors_only(
    history: tuple[Api, World, list[str]],
) -> None:
    api, world, _ = history
    auditor, broker = api.as_(world.auditor), api.as_(world.a.broker)
    _, checkpoint = latest(broker, log_key(broker), at_least=1)
    width = min(checkpoint.size, 255)
    tile = broker.get(f"/v1/audit/log/tile/0/000.p/{width}")
    assert tile.status_code == 200
    assert len(tile.content) == 32 * width
    assert_problem(broker.get(f"/v1/audit/log/tile/entries/000.p/{width}"), 403, "forbidden")
    bundle, entries = auditor.get(f"/v1/audit/log/tile/entries/000.p/{width}").content, []
    while bundle:
        length = int.from_bytes(bundle[:2], "big")
        entries.append(bundle[2 : 2 + length])
        bundle = bundle[2 + length :]
    assert b"".join(leaf_hash(entry) for entry in entries) == tile.content
