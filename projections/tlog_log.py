"""The transparency log as the API serves it: notes, the log key, proofs, receipts, tiles.

Bad input is refused with the contract's codes: a size never checkpointed or a position
not in the tree is `not_found` (404), `from > to` is `invalid_request` (422); a receipt
for events no checkpoint covers yet is `unavailable` (503, retry after the next one).
"""

from __future__ import annotations

import base64
from typing import Any

from domain.errors import InvalidRequest, LedgerError
from projections.audit_chain import GENESIS, canonical
from projections.audit_log import AuditLog
from projections.tlog_checkpoints import create_notes_table
from projections.tlog_reads import TILE_WIDTH, TreeReads
from projections.tlog_tree import TransparencyTree

Row = dict[str, Any]
MAX_ENTRY = 2**16 - 1


class LogNotFound(LedgerError):
    code = "not_found"


class NotYetLogged(LedgerError):
    code = "unavailable"


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


class TransparencyLog:
    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self.reads = TreeReads(audit.view)
        TransparencyTree(audit.view)  # the tables, if no worker has made them yet
        create_notes_table(audit.view)

    def note(self, size: int | None = None) -> Row:
        row = self.reads.note(size)
        if row is None:
            which = f"at size {size}" if size is not None else "yet"
            raise LogNotFound(f"no checkpoint of the transparency log {which}")
        return row

    def log_key(self) -> str:
        """The verifier key the latest note was signed with."""
        return str(self.note()["vkey"])

    def inclusion(self, position: int, size: int | None = None) -> Row:
        """Two statements: the checkpoint, the leaf and the chain hash before it; then every
        stored hash the proof needs."""
        start = self.reads.proof_start(position, size)
        if start is None:
            which = f"at size {size}" if size is not None else "yet"
            raise LogNotFound(f"no checkpoint of the transparency log {which}")
        if start.leaf is None or start.leaf[0] >= start.size:
            raise LogNotFound(f"no event at position {position} in the tree of size {start.size}")
        index, leaf_hash = start.leaf
        hashes = self.reads.inclusion(index, start.size)
        previous = GENESIS if index == 0 else start.previous
        if previous is None:
            raise NotYetLogged(f"the audit chain has not reached the event before {position} yet")
        return {
            "position": position,
            "index": index,
            "size": start.size,
            "leaf_hash": b64(leaf_hash),
            "hashes": [b64(h) for h in hashes],
            "previous_hash": previous,
        }

    def consistency(self, old: int, new: int) -> Row:
        if old > new:
            raise InvalidRequest(f"from ({old}) is larger than to ({new})")
        if old < 1:
            raise InvalidRequest("a consistency proof starts from a size of at least 1")
        self.note(new)
        hashes = self.reads.consistency(old, new)
        return {"from": old, "to": new, "hashes": [b64(h) for h in hashes]}

    def receipt(self, exchange_id: str) -> Row:
        """The exchange's events and balance moves, each with its proof, under one note."""
        note = self.note()
        size = int(note["size"])
        positions = self.reads.receipt_positions(exchange_id)
        if not positions or positions[-1] > int(note["position"]):
            raise NotYetLogged(
                "this exchange's events are not under a checkpoint yet; ask again shortly",
                retry_after=10,
            )
        events = [self._event(position) for position in positions]
        proofs = [self.inclusion(position, size) for position in positions]
        return {"events": events, "proofs": proofs, "checkpoint": note["note"]}

    def _event(self, position: int) -> Row:
        events, _ = self.audit.events(position - 1, 1)
        if not events or events[0]["position"] != position:
            raise NotYetLogged(f"the audit chain has not reached position {position} yet")
        return events[0]

    def tile(self, level: int, n: int, width: int) -> bytes:
        tile = self.reads.tile(level, n, width)
        if tile is None:
            raise LogNotFound(f"the tree has no tile {level}/{n} of width {width} yet")
        return tile

    def entries(self, n: int, width: int) -> bytes:
        """An entry bundle: each leaf's data `d_i`, behind its length in two bytes."""
        start = n * TILE_WIDTH
        positions = self.reads.leaf_positions(start, start + width)
        if len(positions) != width:
            raise LogNotFound(f"the tree has no entry bundle {n} of width {width} yet")
        previous = self._chain_hash_before(start)
        wanted = set(positions)
        events, _ = self.audit.events(positions[0] - 1, positions[-1] - positions[0] + 1)
        events = [e for e in events if e["position"] in wanted]
        if len(events) != width:
            raise NotYetLogged("the audit chain has not reached these events yet")
        bundle = bytearray()
        for event in events:
            body = {k: v for k, v in event.items() if k != "hash"}
            data = bytes.fromhex(previous) + canonical(body)
            if len(data) > MAX_ENTRY:
                raise LogNotFound(f"the event at {event['position']} is too long for a bundle")
            bundle += len(data).to_bytes(2, "big") + data
            previous = str(event["hash"])
        return bytes(bundle)

    def _chain_hash_before(self, index: int) -> str:
        if index == 0:
            return GENESIS
        return str(self._event(self.reads.leaf_positions(index - 1, index)[0])["hash"])


def tile_address(path: str) -> tuple[int | None, int, int]:
    """`<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]` (c2sp.org/tlog-tiles) as (level, n, width);
    level None for entries. N is in 3-digit elements, all but the last prefixed with `x`."""
    parts = path.split("/")
    width = TILE_WIDTH
    if len(parts) >= 3 and parts[-2].endswith(".p"):
        width = _decimal(parts.pop(), 1, TILE_WIDTH - 1)
        parts[-1] = parts[-1].removesuffix(".p")
    if len(parts) < 2:
        raise LogNotFound(f"not a tile: {path!r}")
    level = None if parts[0] == "entries" else _decimal(parts[0], 0, 63)
    *upper, last = parts[1:]
    if not all(len(p) == 4 and p[0] == "x" for p in upper) or len(last) != 3:
        raise LogNotFound(f"not a tile: {path!r}")
    digits = "".join(p[1:] for p in upper) + last
    return level, _decimal(digits.lstrip("0") or "0", 0, 2**62), width


def _decimal(text: str, low: int, high: int) -> int:
    if not text.isascii() or not text.isdigit() or (text != "0" and text[0] == "0"):
        raise LogNotFound(f"not a tile number: {text!r}")
    value = int(text)
    if not low <= value <= high:
        raise LogNotFound(f"tile number {value} is out of range")
    return value
