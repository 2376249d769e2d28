"""Witness keys: the cosignature keys partner organisations register to countersign the log.

A key is registered by (or for) one organisation, under an id derived from its public key,
so one key can never count for two organisations, and a key once removed (lost, or
suspected) cannot quietly come back. The vkey's shape is checked here, with the standard
library only: `<name>+<hex key id>+base64(0x04 || 32-byte Ed25519 public key)`, the key id
being the first four bytes of SHA-256(name || 0x0A || 0x04 || public key) (c2sp.org/
tlog-cosignature).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import InvalidRequest

COSIGNATURE_V1 = 0x04
URL_MAX = 500
_NAME = re.compile(r"[^\s+]{1,200}")
_URL = re.compile(r"https?://[^\s]+")


def witness_key_stream(key_id: str) -> str:
    return f"witness-key:{key_id}"


def check_witness_vkey(vkey: str) -> str:
    """The key's id: the first eight bytes of its public key's SHA-256, in hex."""
    name, hex_id, material = [*vkey.split("+", 2), "", ""][:3]
    try:
        raw = base64.b64decode(material, validate=True)
    except binascii.Error:
        raw = b""
    if not _NAME.fullmatch(name) or len(raw) != 33 or raw[0] != COSIGNATURE_V1:
        raise InvalidRequest(
            "vkey must be an Ed25519 cosignature verifier key (type 0x04), as"
            " `timebank witness keygen` prints it",
            field="vkey",
        )
    digest = hashlib.sha256(name.encode() + b"\n" + raw[:1] + raw[1:]).digest()
    if hex_id != digest[:4].hex():
        raise InvalidRequest("the vkey's key id does not match its name and key", field="vkey")
    return hashlib.sha256(raw[1:]).hexdigest()[:16]


def check_witness_url(url: str | None) -> str | None:
    if url is not None and (len(url) > URL_MAX or not _URL.fullmatch(url)):
        raise InvalidRequest(
            f"url must be an http(s) URL of at most {URL_MAX} characters", field="url"
        )
    return url


class WitnessKey(LedgerAggregate):
    @event("Registered")
    def __init__(self, id: str, organisation: str, vkey: str, url: str | None) -> None:
        self.organisation = organisation
        self.vkey = vkey
        self.url = url
        self.removed = False

    @property
    def key_id(self) -> str:
        return self.id.removeprefix("witness-key:")

    @event("Removed")
    def remove(self) -> None:
        self.removed = True
