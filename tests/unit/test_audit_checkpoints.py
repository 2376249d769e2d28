"""Signed checkpoints: when they are made, what their signature proves, where the key lives."""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import Ledger
from ledger.ports import Ports, install
from projections.audit_checkpoints import Checkpointer, CheckpointPolicy, start_checkpointing
from projections.audit_log import AuditLog
from projections.audit_signing import (
    SigningKeyError,
    checkpoint_problem,
    load_signing_key,
    public_key_text,
    read_public_key,
    sign_checkpoint,
)
from tests.unit.support import Clock, give
from tests.unit.test_audit_chain import chained

HASH = "ab" * 32


def exchanges(bank: Ledger, count: int) -> None:
    for n in range(count):
        pair = ("north:ann", "north:bob") if n % 2 else ("north:bob", "north:ann")
        give(bank, "north", *pair, 10)


@pytest.fixture(autouse=True)
def events_on_the_test_clock(clock: Clock) -> Iterator[None]:
    """Events carry the test clock's time, so "T seconds after an event" is under its control."""
    previous = install(Ports(clock=clock))
    yield
    install(previous)


@pytest.fixture
def log(bank: Ledger) -> AuditLog:
    return AuditLog(bank.recorder)


@pytest.fixture
def checkpointer(log: AuditLog, clock: Clock) -> Checkpointer:
    policy = CheckpointPolicy(every=10, seconds=10)
    return Checkpointer(log.view, Ed25519PrivateKey.generate(), policy, clock)


def test_a_checkpoint_is_made_every_n_chained_events(
    bank: Ledger, log: AuditLog, checkpointer: Checkpointer
) -> None:
    exchanges(bank, 5)  # 3 organisations, 5 accounts, 15 exchange events: 23 events
    chained(bank, log)
    assert [c["position"] for c in checkpointer.tick()] == [10, 20]
    assert checkpointer.tick() == []
    checkpoints, _ = log.checkpoints()
    assert [c["position"] for c in checkpoints] == [10, 20]
    events, _ = log.events(0, 100)
    assert all(c["hash"] == events[c["position"] - 1]["hash"] for c in checkpoints)
    assert all(checkpoint_problem(c) is None for c in checkpoints)


def test_an_uncovered_event_gets_a_checkpoint_at_the_latest_t_seconds_after_it(
    bank: Ledger, log: AuditLog, checkpointer: Checkpointer, clock: Clock
) -> None:
    exchanges(bank, 1)  # 11 events: one checkpoint at 10, then event 11 waits
    chained(bank, log)
    checkpointer.tick()
    clock.now += timedelta(seconds=9)
    assert checkpointer.tick() == []
    clock.now += timedelta(seconds=1)
    made = checkpointer.tick()
    assert [c["position"] for c in made] == [11]
    assert made[0]["created_at"] == "2024-06-01T12:00:10.000000Z"
    assert log.latest_checkpoint() == made[0]
    clock.now += timedelta(hours=1)
    assert checkpointer.tick() == []  # nothing uncovered, nothing to sign


def test_the_policy_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert CheckpointPolicy.from_env() == CheckpointPolicy(1000, 10.0)
    monkeypatch.setenv("TIMEBANK_CHECKPOINT_EVERY", "50")
    monkeypatch.setenv("TIMEBANK_CHECKPOINT_SECONDS", "2.5")
    assert CheckpointPolicy.from_env() == CheckpointPolicy(50, 2.5)
    monkeypatch.setenv("TIMEBANK_CHECKPOINT_EVERY", "0")
    with pytest.raises(ValueError, match="TIMEBANK_CHECKPOINT_EVERY"):
        CheckpointPolicy.from_env()


def test_a_signature_proves_position_hash_and_time_and_names_its_key() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    checkpoint = sign_checkpoint(key, 7, HASH, "2024-06-01T12:00:00.000000Z")
    assert checkpoint_problem(checkpoint) is None
    assert checkpoint_problem(checkpoint, public_key_text(key)) is None
    for field, value in (("position", 8), ("hash", "cd" * 32), ("created_at", "2025")):
        assert "does not verify" in str(checkpoint_problem({**checkpoint, field: value}))
    swapped = {**checkpoint, "public_key": public_key_text(other)}
    assert "does not verify with public key" in str(checkpoint_problem(swapped))
    pinned = checkpoint_problem(checkpoint, public_key_text(other))
    assert pinned == (
        f"the checkpoint was signed by key {public_key_text(key)}, not by the expected key"
        f" {public_key_text(other)}"
    )


def test_the_signing_key_is_made_once_under_var_readable_by_its_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIMEBANK_SIGNING_KEY", raising=False)
    assert load_signing_key(create=False) is None
    key = load_signing_key()
    assert key is not None
    path = tmp_path / "var" / "signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_signing_key()
    assert again is not None
    assert public_key_text(again) == public_key_text(key)
    assert read_public_key(str(path)) == public_key_text(key)
    assert read_public_key(public_key_text(key)) == public_key_text(key)


def test_a_configured_signing_key_must_exist_and_be_ed25519(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMEBANK_SIGNING_KEY", str(tmp_path / "missing.pem"))
    with pytest.raises(SigningKeyError, match="does not exist"):
        load_signing_key()
    with pytest.raises(SigningKeyError, match="neither a key file nor"):
        read_public_key("not a key")


def test_a_running_checkpointer_signs_the_chain_head_in_the_background(
    bank: Ledger, log: AuditLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(Ports())  # real time for this one (the fixture puts the test clock back after)
    monkeypatch.setenv("TIMEBANK_SIGNING_KEY", str(tmp_path / "key.pem"))
    (tmp_path / "key.pem").write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setenv("TIMEBANK_CHECKPOINT_SECONDS", "0.2")
    exchanges(bank, 1)
    head = chained(bank, log).head()
    checkpointer = start_checkpointing(log.view)
    try:
        deadline = time.monotonic() + 5
        while log.latest_checkpoint() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        checkpointer.stop()
    latest = log.latest_checkpoint()
    assert latest is not None
    assert (latest["position"], latest["hash"]) == head
