"""Note checkpoints: the tree's size and root as a C2SP signed note, made with each JSON one.

For every JSON checkpoint (position P) that the tree has reached, the log signs the tree of
the first P events with the same Ed25519 key, under the name `TIMEBANK_LOG_ORIGIN`. Before
signing it proves the new tree consistent with the last one it signed (from the stored
hashes, checked by the verifier an auditor runs) and refuses loudly if it is not: a tree
rebuilt from a rewritten history must never be signed. Notes are evidence: kept forever,
like the JSON checkpoints, through every rebuild.
"""

from __future__ import annotations

import logging
import os
import socket

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.audit_key_store import check_in_force, create_key_history_table
from projections.store import ViewStore
from projections.tlog.checkpoint import Checkpoint
from projections.tlog.keys import NoteSigner
from projections.tlog.proofs import ProofError, verify_consistency
from projections.tlog_reads import NOTES, NOTES_TABLE, TreeReads
from projections.tlog_tree import TransparencyTree

log = logging.getLogger(__name__)
LOG_ORIGIN_VAR = "TIMEBANK_LOG_ORIGIN"


class InconsistentTree(RuntimeError):
    """The tree now disagrees with a size the log signed before: history was rewritten."""


def log_origin() -> str:
    """`TIMEBANK_LOG_ORIGIN`, or `<this host's name>/timebank` (set it in production: the
    origin names the log for every witness and auditor, and must never change)."""
    return os.environ.get(LOG_ORIGIN_VAR) or f"{socket.getfqdn().lower()}/timebank"


def create_notes_table(view: ViewStore) -> None:
    view.ensure_kept_table(NOTES, NOTES_TABLE)


class NoteCheckpointer:
    def __init__(self, view: ViewStore, key: Ed25519PrivateKey, origin: str | None = None) -> None:
        self.view = view
        self.signer = NoteSigner(origin or log_origin(), key)
        self.reads = TreeReads(view)
        TransparencyTree(view)  # its tables, when the tree is projected elsewhere
        create_notes_table(view)
        create_key_history_table(view)

    def use(self, key: Ed25519PrivateKey) -> None:
        """Sign with `key` from now on (a rotation): the origin, the key's name, stays."""
        self.signer = NoteSigner(self.signer.name, key)

    def tick(self, created_at: str) -> list[str]:
        """Sign the tree at every JSON checkpoint it has reached and no note covers yet."""
        made = []
        for position in self._unnoted():
            size = self.reads.size_at(position)
            if size is None:
                break  # the tree has not reached it yet: the next tick will
            made.append(self._sign(size, position, created_at))
        return made

    def _unnoted(self) -> list[int]:
        rows = self.view.read(
            "SELECT position FROM {audit_checkpoints} WHERE position >"
            " (SELECT COALESCE(MAX(position), 0) FROM {tlog_checkpoints}) ORDER BY position"
        )
        return [int(row["position"]) for row in rows]

    def _sign(self, size: int, position: int, created_at: str) -> str:
        root = self.reads.root(size)
        self._check_consistent(size, root)
        note = str(self.signer.sign(Checkpoint(self.signer.name, size, root).text()))
        with self.view.transaction() as cursor:
            check_in_force(self.view, cursor, self.signer.key)
            cursor.execute(
                "INSERT INTO {tlog_checkpoints} (size, position, root, note, vkey, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (size) DO NOTHING",
                (size, position, root, note, str(self.signer.verifier), created_at),
            )
        return note

    def _check_consistent(self, size: int, root: bytes) -> None:
        last = self.reads.last_signed(before=size)
        if last is None:
            return
        old_size, old_root = last
        try:
            proof = self.reads.consistency(old_size, size)
            verify_consistency(old_size, size, old_root, root, proof)
        except ProofError as error:
            log.critical(
                "refusing to sign tree size %d: it is not consistent with size %d, signed"
                " before (%s). The stored history differs from what the log signed.",
                size, old_size, error,
            )  # fmt: skip
            raise InconsistentTree(
                f"tree size {size} is not consistent with signed size {old_size}: {error}"
            ) from error
