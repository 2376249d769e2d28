"""What an auditor sees from `timebank audit verify` and friends when something is wrong, and
that the offline commands need neither a server nor a database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.cli import main
from ledger import Ledger, parse_database_url
from projections.audit_log import AuditLog
from projections.audit_signing import public_key_text, sign_checkpoint
from tests.integration.test_audit_tampering import (
    Result,
    chain_and_checkpoint,
    independent_hashes,
    record_history,
    rehash,
    signing_key,
)
from tests.integration.test_audit_tampering import timebank as timebank  # the fixture

UNREACHABLE = "postgresql://nobody@127.0.0.1:9/nowhere?connect_timeout=1"


@pytest.fixture
def exported(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path, Ed25519PrivateKey]:
    """An export and its latest checkpoint, written while the database was there."""
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TIMEBANK_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    key = signing_key(tmp_path)
    ledger = Ledger(parse_database_url(sqlite_url))
    try:
        record_history(ledger)
        chain_and_checkpoint(AuditLog(ledger.recorder), key)
    finally:
        ledger.close()
    export, checkpoint = tmp_path / "export.jsonl", tmp_path / "checkpoint.json"
    assert main_ok("export", "--out", export)
    assert main_ok("audit", "checkpoint", "--out", checkpoint)
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", UNREACHABLE)  # from here on: offline
    return export, checkpoint, key


def main_ok(*args: str | Path) -> bool:
    return main([str(a) for a in args]) == 0


def test_a_pinned_public_key_that_did_not_sign_the_checkpoint_fails_clearly(
    exported: tuple[Path, Path, Ed25519PrivateKey], timebank: Callable[..., Result]
) -> None:
    export, checkpoint, key = exported
    other = public_key_text(Ed25519PrivateKey.generate())
    result = timebank("audit", "verify", export, "--checkpoint", checkpoint, "--public-key", other)
    assert result.code == 1
    assert result.out.startswith(
        f"failed: the checkpoint was signed by key {public_key_text(key)},"
        f" not by the expected key {other}"
    )
    right = timebank(
        "audit", "verify", export, "--checkpoint", checkpoint, "--public-key", public_key_text(key)
    )
    assert right.code == 0


def test_a_checkpoint_claiming_another_key_or_altered_fails_its_signature(
    exported: tuple[Path, Path, Ed25519PrivateKey], timebank: Callable[..., Result], tmp_path: Path
) -> None:
    export, checkpoint, _ = exported
    kept = json.loads(checkpoint.read_text())
    for change in (
        {"public_key": public_key_text(Ed25519PrivateKey.generate())},
        {"hash": "0" * 64},
    ):
        altered = tmp_path / "altered.json"
        altered.write_text(json.dumps({**kept, **change}))
        claimed = {**kept, **change}["public_key"]
        result = timebank(
            "audit", "verify", export, "--checkpoint", altered, "--public-key", claimed
        )
        assert result.code == 1
        assert "the checkpoint's signature does not verify with public key" in result.out
        assert "altered, or signed with another key" in result.out


def test_a_genuine_checkpoint_that_does_not_match_the_log_names_its_position(
    exported: tuple[Path, Path, Ed25519PrivateKey], timebank: Callable[..., Result], tmp_path: Path
) -> None:
    export, checkpoint, key = exported
    kept = json.loads(checkpoint.read_text())
    hashes = [h for _, _, h in independent_hashes(export)]
    signed_elsewhere = sign_checkpoint(key, kept["position"], hashes[3], kept["created_at"])
    mismatching = tmp_path / "mismatching.json"
    mismatching.write_text(json.dumps(signed_elsewhere))
    result = timebank("audit", "verify", export, "--checkpoint", mismatching)
    assert result.code == 1
    assert result.out.startswith(
        f"failed: first bad position {kept['position']}: the kept checkpoint says the chain"
        f" hash here is {hashes[3]}, but the log gives {hashes[kept['position'] - 1]}"
    )


def test_verify_and_balances_run_offline_from_the_console_script(
    exported: tuple[Path, Path, Ed25519PrivateKey], tmp_path: Path
) -> None:
    export, checkpoint, key = exported
    timebank = Path(sys.executable).with_name("timebank")
    env = {**os.environ, "TIMEBANK_DATABASE_URL": UNREACHABLE}
    del env["TIMEBANK_SIGNING_KEY"]  # an auditor's machine: the key comes from the operator

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        command = [str(timebank), *map(str, args)]
        return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)

    pinned = ("--checkpoint", checkpoint, "--public-key", public_key_text(key))
    verified = run("audit", "verify", export, *pinned)
    head = list(independent_hashes(export))[-1][2]
    lines = len(export.read_text().splitlines())
    assert (verified.returncode, verified.stdout) == (0, f"ok: {lines} events, head {head}\n")
    assert f"1 checkpoint hash matched, signed by {public_key_text(key)}" in verified.stderr
    replayed = run("audit", "balances", export)
    assert replayed.returncode == 0
    assert replayed.stdout.splitlines()[0] == "account,balance"
    assert sum(int(line.split(",")[1]) for line in replayed.stdout.splitlines()[1:]) == 0
    assert not (tmp_path / "var").exists()


def test_a_line_that_is_not_json_is_named(
    exported: tuple[Path, Path, Ed25519PrivateKey], timebank: Callable[..., Result], tmp_path: Path
) -> None:
    export, _, _ = exported
    broken = tmp_path / "broken.jsonl"
    lines = export.read_text().splitlines()
    broken.write_text("\n".join([*lines[:4], lines[4][:-10], *lines[5:]]) + "\n")
    result = timebank("audit", "verify", broken)
    assert result.code == 1
    assert result.out.startswith("failed: line 5 is not JSON")


def test_verify_needs_exactly_one_of_a_file_and_the_database(
    exported: tuple[Path, Path, Ed25519PrivateKey], timebank: Callable[..., Result]
) -> None:
    export, _, _ = exported
    for args in (("audit", "verify"), ("audit", "verify", export, "--database")):
        with pytest.raises(SystemExit) as exit_:
            timebank(*args)
        assert exit_.value.code == 2


def test_asking_for_a_checkpoint_before_any_was_made_says_so(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", sqlite_url)
    assert main(["audit", "checkpoint"]) == 1
    assert "no checkpoint has been made yet" in capsys.readouterr().err


@pytest.fixture
def forged(
    exported: tuple[Path, Path, Ed25519PrivateKey], tmp_path: Path
) -> tuple[Path, Path, Ed25519PrivateKey]:
    """The export with one event changed and re-chained, and a checkpoint for it signed by a
    key of the forger's own (which the checkpoint names, as every checkpoint does)."""
    export, _, key = exported
    lines = [json.loads(line) for line in export.read_text().splitlines()]
    earned = next(e for e in lines if e["type"] == "Account.Earned")
    earned["data"]["minutes"] += 600
    changed, forged = tmp_path / "changed.jsonl", tmp_path / "forged.jsonl"
    changed.write_text("".join(json.dumps(e) + "\n" for e in lines))
    rehash(changed, forged)
    position, _, head = list(independent_hashes(forged))[-1]
    forger = Ed25519PrivateKey.generate()
    checkpoint = tmp_path / "forged-checkpoint.json"
    signed = sign_checkpoint(forger, position, head, "2030-01-01T00:00:00.000000Z")
    checkpoint.write_text(json.dumps(signed))
    return forged, checkpoint, key


def test_a_checkpoint_without_a_pinned_key_never_verifies(
    forged: tuple[Path, Path, Ed25519PrivateKey],
    timebank: Callable[..., Result],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    export, checkpoint, _ = forged
    monkeypatch.delenv("TIMEBANK_SIGNING_KEY")
    monkeypatch.chdir(tmp_path)  # no var/signing-key.pem here: an auditor's machine
    result = timebank("audit", "verify", export, "--checkpoint", checkpoint)
    assert result.code == 1
    assert result.out.startswith("failed: a checkpoint proves nothing unless its signer is pinned")
    assert "--public-key" in result.out


def test_a_self_signed_checkpoint_fails_against_the_pinned_or_the_configured_key(
    forged: tuple[Path, Path, Ed25519PrivateKey], timebank: Callable[..., Result]
) -> None:
    export, checkpoint, key = forged
    forger = json.loads(checkpoint.read_text())["public_key"]
    refused = f"failed: the checkpoint was signed by key {forger}, not by the expected key"
    pinned = ("--public-key", public_key_text(key))
    for extra in (pinned, ()):  # the fixture configures TIMEBANK_SIGNING_KEY: the server's key
        result = timebank("audit", "verify", export, "--checkpoint", checkpoint, *extra)
        assert result.code == 1
        assert result.out.startswith(refused)


def test_a_plain_verify_says_on_stderr_that_only_the_chain_was_checked(
    exported: tuple[Path, Path, Ed25519PrivateKey],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    export, _, _ = exported
    monkeypatch.delenv("TIMEBANK_SIGNING_KEY")
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "verify", str(export)]) == 0
    out, err = capsys.readouterr()
    head = list(independent_hashes(export))[-1][2]
    assert out == f"ok: {len(export.read_text().splitlines())} events, head {head}\n"
    assert "only the chain's own consistency was checked (no checkpoint, no pinned key)" in err


@pytest.mark.parametrize(
    ("marks", "said"), [(1, "1 checkpoint hash matched"), (2, "2 checkpoint hashes matched")]
)
def test_the_count_of_matched_checkpoints_reads_as_english(marks: int, said: str) -> None:
    from api.commands.audit_trust import Pin, trust_notes
    from projections.audit_verify import Outcome

    notes = trust_notes(Outcome(events=3, head="ab" * 32, marks=marks), Pin("KEY", "here"), False)

    assert notes[0].startswith(f"{said}, signed by KEY")
