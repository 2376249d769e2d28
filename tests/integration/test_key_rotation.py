"""Rotating the signing key: checkpoints on both sides verify, offline and from the database,
given the key history; a forged link is refused; a witness follows without a new bootstrap.

On SQLite and Postgres, with the API in process and `timebank audit rotate-key` run as the
operator runs it, where the projection worker's key file is.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.cli import main
from api.commands.witness_state import read_state
from projections.audit_chain import canonical
from projections.audit_keys import note_key
from projections.audit_signing import load_signing_key, public_key_text, sign_checkpoint
from projections.tlog.policy import parse_policy
from projections.tlog.witness import Refused
from projections.witness_follow import follow_rotation
from tests.integration.test_audit_tampering import signing_key
from tests.integration.witness_support import ADMIN, ORIGIN, Bank, bank


@pytest.fixture(params=["sqlite", "postgres"])
def timebank(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Bank]:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    monkeypatch.setenv("TIMEBANK_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("TIMEBANK_LOG_ORIGIN", ORIGIN)
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", url)
    monkeypatch.delenv("TIMEBANK_WITNESS_QUORUM", raising=False)
    with bank(url, tmp_path, signing_key(tmp_path)) as found:
        found.grow()
        yield found


def rotate(timebank: Bank, capsys: pytest.CaptureFixture[str]) -> str:
    """`timebank audit rotate-key`, then more history signed with the new key: its key."""
    assert main(["audit", "rotate-key", "--new-key", str(timebank.folder / "new.pem")]) == 0
    assert capsys.readouterr().out.startswith("rotated: key ")
    timebank.grow()
    key = load_signing_key(create=False)
    assert key is not None
    return public_key_text(key)


def checkpoints(timebank: Bank) -> list[dict[str, Any]]:
    body = timebank.as_(ADMIN).get("/v1/audit/checkpoints", params={"limit": 1000}).json()
    return list(body["checkpoints"])


def write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text)
    return str(folder / name)


def files(timebank: Bank, folder: Path) -> dict[str, str]:
    admin = timebank.as_(ADMIN)
    first, *_, last = checkpoints(timebank)
    export = "".join(json.dumps(e) + "\n" for e in timebank.export())
    history = admin.get("/v1/audit/log/keys")
    old_size = history.json()["rotations"][0]["after_size"]
    old_note = admin.get("/v1/audit/log/checkpoint", params={"size": old_size}).text
    return {
        "export": write(folder, "export.jsonl", export),
        "history": write(folder, "history.json", history.text),
        "old": write(folder, "old.json", json.dumps(first)),
        "new": write(folder, "new.json", json.dumps(last)),
        "old_note": write(folder, "old.note", old_note),
        "new_note": write(folder, "new.note", admin.get("/v1/audit/log/checkpoint").text),
    }


def test_checkpoints_on_both_sides_of_a_rotation_verify_offline_and_from_the_database(
    timebank: Bank, capsys: pytest.CaptureFixture[str]
) -> None:
    old = checkpoints(timebank)[0]["public_key"]
    new = rotate(timebank, capsys)
    signers = [c["public_key"] for c in checkpoints(timebank)]
    assert set(signers) == {old, new}
    assert signers == sorted(signers, key=lambda key: key == new)  # the old, then the new
    paths = files(timebank, timebank.folder)
    verify = ["audit", "verify", paths["export"], "--key-history", paths["history"]]
    for kept in ("old", "new"):
        for pin in (old, new):
            assert main([*verify, "--checkpoint", paths[kept], "--public-key", pin]) == 0
    assert main(["audit", "verify", "--database"]) == 0  # pinned by the configured (new) key
    assert main(["audit", "verify", "--database", "--public-key", old]) == 0
    without_history = ["audit", "verify", paths["export"], "--public-key", old]
    assert main([*without_history, "--checkpoint", paths["new"]]) == 1
    old_vkey, new_vkey = (str(note_key(ORIGIN, key)) for key in (old, new))
    for note in ("old_note", "new_note"):
        assert main([*verify, "--note", paths[note], "--log-key", old_vkey]) == 0
    assert main([*without_history[:3], "--note", paths["new_note"], "--log-key", old_vkey]) == 1
    capsys.readouterr()
    policy = parse_policy(timebank.as_(ADMIN).get("/v1/audit/log/policy").text)
    assert [str(key) for key in policy.logs] == [new_vkey, old_vkey]
    assert timebank.as_(ADMIN).get("/v1/audit/log/key").text.strip() == new_vkey


def test_a_forged_history_link_is_refused(
    timebank: Bank, capsys: pytest.CaptureFixture[str]
) -> None:
    old = checkpoints(timebank)[0]["public_key"]
    rotate(timebank, capsys)
    paths = files(timebank, timebank.folder)
    history = json.loads(Path(paths["history"]).read_text())
    forger = Ed25519PrivateKey.generate()
    link = history["rotations"][0]
    link["key"] = public_key_text(forger)  # the forger's key, announced in the old key's name
    body = {k: v for k, v in link.items() if k != "signatures"}
    link["signatures"]["key"] = base64.b64encode(forger.sign(canonical(body))).decode()
    forged = write(timebank.folder, "forged.json", json.dumps(history))
    command = ["audit", "verify", paths["export"], "--key-history", forged, "--public-key", old]
    assert main([*command, "--checkpoint", paths["old"]]) == 1
    assert "the signature of the old key" in capsys.readouterr().out


def test_after_a_rotation_the_old_key_no_longer_signs_for_the_log(
    timebank: Bank, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whoever kept the old key cannot slip in a checkpoint made after the rotation."""
    old_key = load_signing_key(create=False)
    assert old_key is not None
    rotate(timebank, capsys)
    last = checkpoints(timebank)[-1]
    forged = sign_checkpoint(old_key, last["position"], last["hash"], last["created_at"])
    with timebank.built.view.transaction() as cursor:
        cursor.execute(
            "UPDATE {audit_checkpoints} SET signature = ?, public_key = ? WHERE position = ?",
            (forged["signature"], forged["public_key"], last["position"]),
        )
    assert main(["audit", "verify", "--database"]) == 1
    out = capsys.readouterr().out
    assert f"stored checkpoint at position {last['position']}" in out
    assert "not by the expected key" in out


def test_a_witness_follows_a_rotation_without_a_new_bootstrap(
    timebank: Bank, capsys: pytest.CaptureFixture[str]
) -> None:
    alder = timebank.partner("alder")
    timebank.register(alder)
    before = timebank.sync(alder, trust_first=True)
    new = rotate(timebank, capsys)
    after = timebank.sync(alder)
    assert after > before
    state = read_state(alder.state)
    assert state is not None
    assert state.log_keys == (str(note_key(ORIGIN, new)),)  # the old key is retired
    history = timebank.as_(ADMIN).get("/v1/audit/log/keys").json()["rotations"]
    history[0]["after_size"] = 0  # altered: the link's signatures no longer hold
    old_state = state.__class__(state.origin, (str(note_key(ORIGIN, history[0]["previous_key"])),))
    note = timebank.as_(ADMIN).get("/v1/audit/log/checkpoint").text
    with pytest.raises(Refused) as refused:
        follow_rotation(old_state, note, history)
    assert refused.value.status == 403
