"""C2SP signed notes and checkpoints: the sumdb/note known answer, and what is refused."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.tlog.checkpoint import Checkpoint, parse_checkpoint
from projections.tlog.keys import NoteSigner, open_note, parse_signer_key, parse_verifier_key
from projections.tlog.note import NoteError, parse_note

VECTOR = (Path(__file__).parents[1] / "vectors" / "signed-note.txt").read_text()


def field(label: str) -> str:
    line = next(line for line in VECTOR.splitlines() if line.startswith(label))
    return line.split(": ", 1)[1]


TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
SIGNED = VECTOR.split("ending in a newline):\n", 2)[2]


def test_signing_the_vectors_text_gives_the_vectors_note_and_verifier_key() -> None:
    signer = parse_signer_key(field("private key"))
    assert str(signer.verifier) == field("verifier key")
    assert str(signer.sign(TEXT)) == SIGNED


def test_the_vectors_note_opens_with_its_verifier_key() -> None:
    note = open_note(SIGNED, parse_verifier_key(field("verifier key")))
    assert note.text == TEXT


@pytest.mark.parametrize("position", range(0, len(TEXT), 7))
def test_a_note_altered_anywhere_in_its_text_is_refused(position: int) -> None:
    altered = SIGNED[:position] + ("X" if SIGNED[position] != "X" else "Y") + SIGNED[position + 1 :]
    with pytest.raises(NoteError):
        open_note(altered, parse_verifier_key(field("verifier key")))


def test_a_note_signed_by_another_key_of_the_same_name_is_refused() -> None:
    impostor = NoteSigner("PeterNeumann", Ed25519PrivateKey.generate())
    with pytest.raises(NoteError, match="no signature"):
        open_note(str(impostor.sign(TEXT)), parse_verifier_key(field("verifier key")))


def test_a_signature_whose_bytes_are_changed_is_refused() -> None:
    line = SIGNED.rsplit(" ", 1)[1]
    blob = bytearray(base64.b64decode(line))
    blob[10] ^= 1
    forged = SIGNED.replace(line, base64.b64encode(bytes(blob)).decode() + "\n")
    with pytest.raises(NoteError, match="does not verify"):
        open_note(forged, parse_verifier_key(field("verifier key")))


@pytest.mark.parametrize(
    "message",
    [
        "",
        "text\n",
        "text\n\n",
        "text\n\n— name\n",
        "text\n\n— na me c2ln\n",
        "te\x07xt\n\n— a YWJjZGU=\n",
    ],
)
def test_malformed_notes_are_refused(message: str) -> None:
    with pytest.raises(NoteError):
        parse_note(message)


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+c74f20a3",
        "Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+not base64",
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        parse_verifier_key(vkey)


def test_a_checkpoint_reads_back_as_written_with_its_extension_lines() -> None:
    checkpoint = Checkpoint("ledger.example/log", 12, bytes(range(32)), ("extra",))
    assert parse_checkpoint(checkpoint.text()) == checkpoint
    signer = NoteSigner("ledger.example/log", Ed25519PrivateKey.generate())
    note = open_note(str(signer.sign(checkpoint.text())), signer.verifier)
    assert parse_checkpoint(note.text).size == 12


@pytest.mark.parametrize(
    "text",
    ["origin\n12\n", "origin\n012\nAAAA\n", "origin\n-1\n" + "A" * 43 + "=\n", "origin\n1\nAAAA\n"],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(text)
