"""C2SP cosignature/v1 and tlog-policy: known answers, and what is refused."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.cli import main
from projections.tlog.checkpoint import Checkpoint
from projections.tlog.cosignature import (
    Cosigner,
    cosigned_at,
    parse_cosigner,
    parse_cosigner_key,
    signed_message,
)
from projections.tlog.keys import parse_signer_key
from projections.tlog.note import NoteError, Signature
from projections.tlog.policy import Group, Policy, Witness, parse_policy, verify_witnessed

LOG = parse_signer_key(
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
)
ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
TEXT = Checkpoint("example.com/behind-the-sofa", 20852163, ROOT).text()
WITNESS = Cosigner("witness.example/riverside", Ed25519PrivateKey.from_private_bytes(bytes(32)))
SEEDED = Cosigner(
    "witness.example/riverside", Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
)


def test_a_fixed_key_and_time_give_a_fixed_cosignature_line() -> None:
    note = LOG.sign(TEXT)
    line = SEEDED.cosign(note, 1679315147).line()
    assert line == (
        "\u2014 witness.example/riverside P4mmvgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUI"
        "oS83rE1nFZsVE8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n"
    )
    assert str(SEEDED.verifier) == (
        "witness.example/riverside+3f89a6be+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
    )


def test_the_signed_message_is_the_specs_example() -> None:
    assert signed_message(TEXT, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_a_cosignature_verifies_with_its_time_and_fails_on_another_text() -> None:
    note = LOG.sign(TEXT)
    signature = WITNESS.cosign(note, 1700000000)
    assert cosigned_at(WITNESS.verifier, note.text, signature) == 1700000000
    other = Checkpoint("example.com/behind-the-sofa", 20852164, ROOT).text()
    assert cosigned_at(WITNESS.verifier, other, signature) is None
    assert cosigned_at(SEEDED.verifier, note.text, signature) is None


def test_the_private_key_file_round_trips_and_a_log_key_is_not_a_witness_key() -> None:
    assert parse_cosigner(SEEDED.private_text()).verifier == SEEDED.verifier
    assert parse_cosigner_key(str(SEEDED.verifier)) == SEEDED.verifier
    with pytest.raises(NoteError):
        parse_cosigner_key(str(LOG.verifier))
    with pytest.raises(NoteError):
        parse_cosigner(SEEDED.private_text().replace("3f89a6be", "3f89a6bf"))


def _policy(threshold: int) -> Policy:
    others = [
        Cosigner(f"w{i}", Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32)) for i in (1, 2)
    ]
    witnesses = [
        Witness("a1", WITNESS.verifier),
        *(Witness(f"b{i}", c.verifier) for i, c in enumerate(others)),
    ]
    groups = (
        Group("org:a", 1, ("a1",)),
        Group("org:b", 1, ("b0", "b1")),
        Group("organisations", threshold, ("org:a", "org:b")),
    )
    return Policy((LOG.verifier,), tuple(witnesses), groups, "organisations")


def test_a_policy_round_trips_through_its_text() -> None:
    policy = _policy(2)
    assert parse_policy(policy.text()) == policy
    assert "group organisations all org:a org:b\nquorum organisations\n" in policy.text()


def test_the_quorum_counts_organisations_not_keys() -> None:
    policy = _policy(2)
    assert not policy.satisfied({"b0", "b1"})
    assert policy.satisfied({"a1", "b1"})
    assert _policy(1).satisfied({"b0"})


def test_a_note_meets_the_policy_only_with_enough_valid_cosignatures() -> None:
    policy = _policy(1)
    note = LOG.sign(TEXT)
    cosigned = note.with_signatures(WITNESS.cosign(note, 1700000000))
    _, who = verify_witnessed(policy, str(cosigned))
    assert who == {"a1": 1700000000}
    real = cosigned.signatures[-1]
    later = (1700000001).to_bytes(8, "big") + real.signature[8:]
    forged = note.with_signatures(Signature(real.name, real.key_id, later))
    with pytest.raises(NoteError):
        verify_witnessed(policy, str(forged))
    with pytest.raises(NoteError):
        verify_witnessed(policy, str(note))


@pytest.mark.parametrize(
    "text",
    [
        "quorum nobody\n",
        "witness a BADKEY\nquorum a\n",
        "group g 1 missing\nquorum g\n",
        "quorum none\nquorum none\n",
        "",
    ],
)
def test_a_malformed_policy_is_refused(text: str) -> None:
    with pytest.raises(NoteError):
        parse_policy(text)


def test_comments_blank_lines_and_tabs_are_allowed() -> None:
    text = f"# the log\n\n  log\t{LOG.verifier}\n witness  a1 {WITNESS.verifier}\nquorum a1  \n"
    assert parse_policy(text).quorum == "a1"


def test_keygen_writes_a_private_key_only_its_owner_reads_and_prints_its_verifier_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "witness.key"
    assert main(["witness", "keygen", "--name", "witness.example/alder", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.strip()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert str(parse_cosigner(out.read_text()).verifier) == printed
    assert (
        main(["witness", "keygen", "--name", "again", "--out", str(out)]) == 2
    )  # never overwrites
