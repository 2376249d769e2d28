"""Partner organisations witness the log: two pull, one is pushed to; the quorum; refusals.

On SQLite and Postgres, with the API in process and each witness's state in a file.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main
from api.commands import witness_sync
from api.commands.witness_state import read_state
from api.commands.witness_sync import SyncRefused
from projections.audit_signing import load_signing_key
from projections.tlog.checkpoint import Checkpoint, parse_checkpoint
from projections.tlog.keys import NoteSigner
from projections.tlog.note import parse_note
from projections.tlog.policy import parse_policy, verify_witnessed
from tests.integration.test_audit_tampering import EventTable, signing_key
from tests.integration.web_support import token_of
from tests.integration.witness_support import ADMIN, ORIGIN, Bank, bank, serving


@pytest.fixture(params=["sqlite", "postgres"])
def timebank(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Bank]:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    monkeypatch.setenv("TIMEBANK_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("TIMEBANK_LOG_ORIGIN", ORIGIN)
    monkeypatch.delenv("TIMEBANK_WITNESS_QUORUM", raising=False)
    with bank(url, tmp_path, signing_key(tmp_path)) as found:
        found.grow()
        yield found


def execute(bank: Bank, statement: str, params: tuple[object, ...] = ()) -> None:
    """SQL on the log's own tables, as an operator rewriting them would."""
    with bank.built.view.transaction() as cursor:
        cursor.execute(statement, params)


def log_key(bank: Bank) -> str:
    return bank.as_(ADMIN).get("/v1/audit/log/key").text.strip()


def test_two_pull_witnesses_and_one_pushed_to_reach_the_quorum(timebank: Bank) -> None:
    a, b, c = (timebank.partner(org) for org in ("alder", "birch", "cedar"))
    timebank.register(a)
    timebank.register(b)
    with serving(c, log_key(timebank)) as url:
        timebank.register(c, url)
        timebank.grow()
        assert timebank.sync(a, trust_first=True) > 0
        witnessed = timebank.as_(a.broker).get("/v1/audit/log/checkpoint?witnessed=true")
        assert witnessed.status_code == 404  # one organisation of three: no majority yet
        assert timebank.pusher().tick() == 1
        size = timebank.sync(b, from_export=timebank.export())
    answer = timebank.as_(b.broker).get("/v1/audit/log/checkpoint?witnessed=true")
    assert answer.status_code == 200, answer.text
    policy = parse_policy(timebank.as_(b.broker).get("/v1/audit/log/policy").text)
    note, cosigned = verify_witnessed(policy, answer.text)
    assert parse_checkpoint(note.text).size == size
    assert len(cosigned) == 3
    assert "group organisations 2 org:alder org:birch org:cedar" in policy.text()


def test_the_offline_verifiers_report_who_cosigned_and_fail_without_a_quorum(
    timebank: Bank, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = timebank.partner("alder"), timebank.partner("birch")
    timebank.register(a)
    timebank.register(b)
    broker = timebank.as_(a.broker)
    files = {"policy": broker.get("/v1/audit/log/policy").text, "key": log_key(timebank)}
    files["bare"] = broker.get("/v1/audit/log/checkpoint").text
    timebank.sync(a, trust_first=True)
    files["one"] = broker.get("/v1/audit/log/checkpoint").text  # quorum: 2 of 2
    timebank.sync(b, trust_first=True)
    files["both"] = broker.get("/v1/audit/log/checkpoint").text
    exchange = timebank.as_(ADMIN).get("/v1/exchanges", params={"account": "north:ann"})
    receipt = broker.get(f"/v1/exchanges/{exchange.json()['exchanges'][-1]['id']}/receipt")
    files["receipt"] = receipt.text
    paths = {name: tmp_path / name for name in files}
    for name, path in paths.items():
        path.write_text(files[name])
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(e) + "\n" for e in timebank.export()))
    verify = [
        "audit",
        "verify",
        str(export),
        "--log-key",
        files["key"],
        "--policy",
        str(paths["policy"]),
    ]
    assert main([*verify, "--note", str(paths["both"])]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: ")
    assert "cosigned by witness:" in out
    for bare in ("bare", "one"):
        assert main([*verify, "--note", str(paths[bare])]) == 1
        assert capsys.readouterr().out.startswith("failed: quorum")
    receipt_args = ["audit", "verify-receipt", str(paths["receipt"]), "--log-key", files["key"]]
    assert main([*receipt_args, "--policy", str(paths["policy"])]) == 0
    assert "cosigned by" in capsys.readouterr().out


def test_only_the_organisations_broker_or_the_operator_manages_its_witness_keys(
    timebank: Bank,
) -> None:
    a, b = timebank.partner("alder"), timebank.partner("birch")
    body = {"vkey": str(a.cosigner.verifier)}
    refused = timebank.as_(b.broker).post("/v1/organisations/alder/witness-keys", json=body)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    key = timebank.register(a)
    listed = timebank.as_(ADMIN).get("/v1/organisations/alder/witness-keys").json()
    assert [k["id"] for k in listed["witness_keys"]] == [key["id"]]
    path = f"/v1/organisations/alder/witness-keys/{key['id']}"
    assert timebank.as_(b.broker).delete(path).status_code == 403
    assert timebank.as_(a.broker).delete(path).status_code == 204
    timebank.catch_up()
    assert timebank.as_(a.broker).get("/v1/organisations/alder/witness-keys").json() == {
        "witness_keys": [],
        "as_of_position": timebank.ledger.head_position(),
    }
    bad = timebank.as_(a.broker).post("/v1/organisations/alder/witness-keys", json={"vkey": "x"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_request")


def test_a_forged_or_unregistered_cosignature_is_refused(timebank: Bank) -> None:
    a, b = timebank.partner("alder"), timebank.partner("birch")
    timebank.register(a)
    note = parse_note(timebank.as_(a.broker).get("/v1/audit/log/checkpoint").text)
    unregistered = note.with_signatures(b.cosigner.cosign(note, 1700000000))
    real = a.cosigner.cosign(note, 1700000000)
    forged = note.with_signatures(
        type(real)(real.name, real.key_id, (1700000001).to_bytes(8, "big") + real.signature[8:])
    )
    for message in (unregistered, forged):
        answer = timebank.as_(a.broker).post("/v1/audit/log/cosignatures", content=str(message))
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_cosignature")
    assert timebank.as_(a.broker).get("/v1/audit/log/checkpoint").text == str(note)
    good = timebank.as_(a.broker).post(
        "/v1/audit/log/cosignatures", content=str(note.with_signatures(real))
    )
    assert good.status_code == 201, good.text


def assert_evidence_names_both_roots(refused: SyncRefused, kept: bytes, offered: bytes) -> None:
    report = next(p for p in refused.evidence if p.name.endswith("report.txt")).read_text()
    for root in (kept, offered):
        assert base64.b64encode(root).decode() in report
    assert {p.name.split("-")[-1] for p in refused.evidence} == {
        "kept.note",
        "offered.note",
        "report.txt",
    }


def test_a_witness_refuses_a_history_rewritten_and_re_signed(timebank: Bank) -> None:
    a = timebank.partner("alder")
    timebank.register(a)
    timebank.sync(a, trust_first=True)
    kept = read_state(a.state)
    assert kept is not None
    first = next(e["position"] for e in timebank.export() if "minutes" in e["data"])
    EventTable(timebank.url).change(first)
    timebank.built.tree.drop_tables()  # the operator rebuilds the tree over the edit
    execute(timebank, "DELETE FROM {tlog_checkpoints}")
    timebank.grow()
    with pytest.raises(SyncRefused) as refused:
        timebank.sync(a)
    offered = parse_checkpoint(
        parse_note(timebank.as_(a.broker).get("/v1/audit/log/checkpoint").text).text
    )
    assert_evidence_names_both_roots(refused.value, kept.root, offered.root)
    assert read_state(a.state) == kept  # nothing moved, nothing signed


def test_a_witness_refuses_a_fork_at_the_size_it_cosigned(timebank: Bank) -> None:
    a = timebank.partner("alder")
    timebank.register(a)
    size = timebank.sync(a, trust_first=True)
    kept = read_state(a.state)
    assert kept is not None
    key = load_signing_key(create=False)
    assert key is not None
    other = bytes(32)
    fork = str(NoteSigner(ORIGIN, key).sign(Checkpoint(ORIGIN, size, other).text()))
    execute(timebank, "UPDATE {tlog_checkpoints} SET note = ? WHERE size = ?", (fork, size))
    with pytest.raises(SyncRefused) as refused:
        timebank.sync(a)
    assert f"size {size} now has another root" in str(refused.value)
    assert_evidence_names_both_roots(refused.value, kept.root, other)


def test_a_witness_killed_mid_sync_resumes_without_signing_two_roots_for_a_size(
    timebank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = timebank.partner("alder")
    timebank.register(a)
    signed: dict[int, set[bytes]] = {}
    cosign = a.cosigner.cosign

    def recording(note, timestamp):  # type: ignore[no-untyped-def]
        checkpoint = parse_checkpoint(note.text)
        signed.setdefault(checkpoint.size, set()).add(checkpoint.root)
        return cosign(note, timestamp)

    object.__setattr__(a.cosigner, "cosign", recording)
    timebank.sync(a, trust_first=True)
    for crash in ("replace", "post", "replace", "post"):
        timebank.grow()
        with monkeypatch.context() as patched:
            if crash == "replace":  # killed while the new state is written, before the rename
                patched.setattr(os, "replace", _killed)
            else:  # killed after keeping the state and signing, before posting
                patched.setattr(witness_sync.Sync, "_post", _killed)
            with pytest.raises(SystemExit):
                timebank.sync(a)
        timebank.sync(a)
    assert all(len(roots) == 1 for roots in signed.values())
    state = read_state(a.state)
    assert state is not None
    assert state.size == max(signed)


def _killed(*args: object) -> None:
    raise SystemExit(137)


def sign_in(bank: Bank, key: str) -> None:
    bank.client.headers.pop("Authorization", None)
    bank.client.cookies.clear()
    form = {"csrf_token": token_of(bank.client.get("/app/sign-in")), "key": key}
    assert bank.client.post("/app/sign-in", data=form).status_code in (200, 303)


def test_the_broker_sees_its_witness_keeping_up_and_an_auditor_the_quorum(timebank: Bank) -> None:
    a, b = timebank.partner("alder"), timebank.partner("birch")
    timebank.register(a)
    timebank.register(b)
    timebank.sync(a, trust_first=True)
    sign_in(timebank, a.broker)
    page = timebank.client.get("/app/o/alder/witnesses").text
    assert "witness.example/alder" in page
    assert "<td>yes</td>" in page
    assert "not witnessed yet" in page  # 1 of 2 organisations; both are needed
    timebank.grow()
    assert "events behind" in timebank.client.get("/app/o/alder/witnesses").text
    timebank.sync(a)
    timebank.sync(b, trust_first=True)
    sign_in(timebank, timebank.ledger.issue_key("auditor").key)
    page = timebank.client.get("/app/o/birch/witnesses").text
    assert "The latest checkpoint is witnessed" in page
    assert "2 of 2 organisations" in page
