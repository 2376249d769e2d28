"""An event edited in SQL after the log signed it: the chain's verifier and the tree both say so.

`audit verify --database` names the bad position, and the export taken after the edit no
longer has the root the log signed (`audit verify --note` fails on `root`), while the stored
tree still has it: the tree and the rewritten history disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

import projections
from ledger import Ledger, parse_database_url
from projections.audit_checkpoints import Checkpointer, CheckpointPolicy
from projections.audit_log import AuditLog
from projections.tlog.checkpoint import parse_checkpoint
from projections.tlog_reads import TreeReads
from projections.tlog_verify import export_leaves
from tests.integration.test_audit_tampering import (
    EventTable,
    Result,
    record_history,
    signing_key,
    timebank,
)

__all__ = ["timebank"]  # the fixture, used by name


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_an_edited_event_fails_the_chain_and_the_note_while_the_tree_keeps_the_signed_root(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    timebank: Callable[..., Result],
) -> None:
    url = str(request.getfixturevalue(f"{backend}_url"))
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", url)
    monkeypatch.setenv("TIMEBANK_SIGNING_KEY", str(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("TIMEBANK_LOG_ORIGIN", "ledger.example/tampered")
    key = signing_key(tmp_path)
    ledger = Ledger(parse_database_url(url))
    try:
        record_history(ledger)
        built = projections.build(ledger)
        built.runner.run_once()
        Checkpointer(built.view, key, CheckpointPolicy(every=10, seconds=3600)).tick()
        reads = TreeReads(built.view)
        note = reads.note()
        assert note is not None
        (tmp_path / "note.txt").write_text(str(note["note"]))
        signed = parse_checkpoint(str(note["note"]).split("\n\n")[0] + "\n")
        events, _ = AuditLog(ledger.recorder, built.view).events(0, 1000)
        target = next(e["position"] for e in events[12:] if e["type"] == "Account.Earned")
        assert target < signed.size
        vkey = timebank("audit", "log-key").out.strip()
        assert vkey == note["vkey"]
        EventTable(url).change(target)

        assert timebank("audit", "verify", "--database").code == 1
        after = tmp_path / "after.jsonl"
        assert timebank("export", "--out", after).code == 0
        note_file = tmp_path / "note.txt"
        verified = timebank("audit", "verify", after, "--note", note_file, "--log-key", vkey)
        assert verified.code == 1
        assert verified.out.startswith("failed: root")
        rewritten = export_leaves(orjson.loads(line) for line in after.read_bytes().splitlines())
        leaf = reads.leaf_at(target)
        assert leaf is not None
        assert rewritten[leaf[0]] != leaf[1]  # the tree disagrees with the rewritten event
        assert reads.root(signed.size) == signed.root  # and still holds what the log signed
    finally:
        ledger.close()
