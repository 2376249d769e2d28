"""`timebank witness sync`: pull the latest checkpoint, check it extends the kept one, cosign.

The kept state moves to the new checkpoint before anything is signed, under the state's
lock: a run killed at any point can at worst cosign the same (size, root) again, never a
second root for a size it cosigned. A checkpoint that does not extend the kept one is
refused (exit 1): nothing is signed and both notes are kept as evidence.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.commands.witness_state import keep_evidence, locked, read_state, write_state
from ledger.ports import wall_seconds
from projections.tlog.checkpoint import parse_checkpoint
from projections.tlog.cosignature import Cosigner
from projections.tlog.keys import parse_verifier_key
from projections.tlog.merkle import root_of
from projections.tlog.note import NoteError, parse_note
from projections.tlog.witness import Refused, WitnessState, advance
from projections.tlog_verify import export_leaves
from projections.witness_follow import trusting_signer


class SyncFailed(Exception):
    """Nothing could be checked (the ledger, a file): exit 2, nothing signed."""


class SyncRefused(Exception):
    """The log offered a checkpoint that does not extend the kept one: exit 1."""

    def __init__(self, reason: str, evidence: list[Path]) -> None:
        super().__init__(reason)
        self.evidence = evidence


@dataclass
class Sync:
    client: httpx.Client
    cosigner: Cosigner
    state_path: Path
    from_export: Iterable[dict[str, Any]] | None = None
    trust_first: bool = False
    log_key: str | None = None
    clock: Callable[[], float] = wall_seconds

    def run(self) -> int:
        """Cosign the ledger's latest checkpoint; answer its size."""
        with locked(self.state_path):
            state = read_state(self.state_path)
            offered = self._get("/v1/audit/log/checkpoint").text
            kept, note = self._check(state, offered)
            write_state(self.state_path, kept)  # before signing: what was cosigned stays kept
            cosigned = note.with_signatures(self.cosigner.cosign(note, int(self.clock())))
        self._post(str(cosigned))
        return kept.size

    def _check(self, state: WitnessState | None, offered: str) -> tuple[WitnessState, Any]:
        if state is None:
            return self._first(offered)
        size = self._size_of(offered)
        proof = self._proof(state.size, size) if size > state.size else []
        try:
            return advance(self._trusting(state, offered), offered, state.size, proof)
        except Refused as refused:
            reason = _reason(refused, state.size, size)
            if refused.status in (400, 422):
                raise SyncRefused(
                    reason, keep_evidence(self.state_path, state.note, offered, reason)
                ) from None
            raise SyncFailed(reason) from None

    def _first(self, offered: str) -> tuple[WitnessState, Any]:
        if self.from_export is None and not self.trust_first:
            raise SyncFailed(
                "no state yet: give --from-export EXPORT (recomputed) or --trust-first"
            )
        key = parse_verifier_key(self.log_key or self._get("/v1/audit/log/key").text)
        fresh = WitnessState(key.name, (str(key),))
        try:
            kept, note = advance(self._trusting(fresh, offered), offered, 0, [])
        except Refused as refused:
            raise SyncFailed(f"the first checkpoint is refused: {refused.reason}") from None
        if self.from_export is not None:
            self._check_export(kept, offered)
        return kept, note

    def _trusting(self, state: WitnessState, offered: str) -> WitnessState:
        """Follow a rotation of the log's key through the history the ledger serves."""
        return trusting_signer(state, offered, self._key_history)

    def _key_history(self) -> list[Any]:
        return list(self._get("/v1/audit/log/keys").json()["rotations"])

    def _check_export(self, kept: WitnessState, offered: str) -> None:
        leaves = export_leaves(self.from_export or [])
        if len(leaves) < kept.size or root_of(leaves[: kept.size]) != kept.root:
            reason = (
                f"the export's first {kept.size} events do not have the checkpoint's root"
                f" ({len(leaves)} events in the export)"
            )
            raise SyncRefused(reason, keep_evidence(self.state_path, "", offered, reason))

    def _size_of(self, offered: str) -> int:
        try:
            return parse_checkpoint(parse_note(offered).text).size
        except NoteError as error:
            raise SyncFailed(f"the ledger's checkpoint is not a note: {error}") from None

    def _proof(self, old: int, new: int) -> list[bytes]:
        body = self._get("/v1/audit/proofs/consistency", params={"from": old, "to": new}).json()
        return [base64.b64decode(h, validate=True) for h in body["hashes"]]

    def _get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.get(path, **kwargs)
        if response.status_code != 200:
            raise SyncFailed(f"GET {path}: {response.status_code} {response.text[:200]}")
        return response

    def _post(self, cosigned: str) -> None:
        response = self.client.post(
            "/v1/audit/log/cosignatures",
            content=cosigned.encode(),
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        if response.status_code != 201:
            raise SyncFailed(
                f"the ledger did not take the cosignature ({response.status_code}"
                f" {response.text[:200]}); the next run cosigns again"
            )


def _reason(refused: Refused, kept: int, offered: int) -> str:
    if offered < kept:
        return f"the tree shrank from size {kept} to {offered}"
    if offered == kept:
        return f"size {kept} now has another root than the one cosigned"
    return refused.reason
