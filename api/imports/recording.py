"""Chunks of a file and their idempotency keys: a re-run records nothing twice.

Each chunk's key is derived from its position and its content, so running the same file
again (after a success, or after an interruption half-way) finds the chunks already
recorded and the ledger answers them from its records instead of recording them again.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.imports.rows import Item
from ledger import BatchRecord, Ledger
from ledger.exchange_use_cases import MAX_BATCH
from ledger.idempotency import fingerprint

CHUNK = MAX_BATCH


@dataclass(frozen=True)
class Chunk:
    index: int
    items: list[Item]
    key: str

    @property
    def first_line(self) -> int:
        return self.items[0].line


def chunks_of(items: list[Item], size: int | None = None) -> list[Chunk]:
    size = size or CHUNK
    chunks = []
    for index, start in enumerate(range(0, len(items), size)):
        part = items[start : start + size]
        content = fingerprint([item.request.canonical() for item in part])
        chunks.append(Chunk(index, part, f"import-{index}-{content}"))
    return chunks


def already_recorded(ledger: Ledger, organisation: str, chunk: Chunk) -> bool:
    """Whether a previous run recorded this chunk (a batch under the chunk's key)."""
    return ledger.batch_recorded(organisation, chunk.key)


def record(ledger: Ledger, organisation: str, chunk: Chunk) -> BatchRecord:
    requests = [item.request for item in chunk.items]
    return ledger.record_batch(organisation, requests, idempotency_key=chunk.key)
