"""Pushing each new checkpoint to the witnesses that registered a URL (C2SP tlog-witness).

A thread of its own beside the checkpointer, so a slow or absent witness never holds up the
projections. For each key in force with a URL that has not cosigned the latest checkpoint,
it sends `old <size it last cosigned>`, the consistency proof and the note; a 409 names the
witness's size, and the request is made again from there. What comes back is kept only
through `WitnessLog.accept`, verified against the registered key like any cosignature.
"""

from __future__ import annotations

import base64
import logging
import threading
from typing import Any

import httpx
from eventsourcing.persistence import ApplicationRecorder

from domain.errors import LedgerError
from ledger.ports import utc_now
from projections.audit_log import AuditLog
from projections.store import ViewStore
from projections.tlog.witness import add_checkpoint_body
from projections.tlog_log import TransparencyLog
from projections.witness_log import WitnessLog

log = logging.getLogger(__name__)
INTERVAL = 2.0
TIMEOUT = 10.0


class WitnessPusher:
    def __init__(self, witnesses: WitnessLog, client: httpx.Client | None = None) -> None:
        self.witnesses = witnesses
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> int:
        """Push the latest checkpoint to every witness behind on it; answer how many cosigned."""
        note = self.witnesses.log.reads.note()
        if note is None:
            return 0
        size, done = int(note["size"]), 0
        for row in self.witnesses.progress():
            if row["url"] and row["size"] != size:
                done += self._push(row, str(note["note"]), size, int(row["size"] or 0))
        return done

    def _push(self, row: dict[str, Any], note: str, size: int, old: int) -> int:
        for _ in range(2):  # once more after a 409 names the witness's size
            try:
                response = self.client.post(
                    str(row["url"]).rstrip("/") + "/add-checkpoint",
                    content=add_checkpoint_body(old, self._proof(old, size), note).encode(),
                )
            except (httpx.HTTPError, LedgerError) as error:
                log.warning("witness %s at %s: %s; retrying later", row["id"], row["url"], error)
                return 0
            if response.status_code == 409 and response.text.strip().isdigit():
                old = int(response.text.strip())
                continue
            return self._kept(row, note, response)
        return 0

    def _proof(self, old: int, size: int) -> list[bytes]:
        if old == 0 or old >= size:
            return []
        hashes = self.witnesses.log.consistency(old, size)["hashes"]
        return [base64.b64decode(h) for h in hashes]

    def _kept(self, row: dict[str, Any], note: str, response: httpx.Response) -> int:
        if response.status_code != 200:
            log.warning(
                "witness %s refused size %s: %s %s",
                row["id"], note.split("\n")[1], response.status_code, response.text[:200],
            )  # fmt: skip
            return 0
        now = utc_now().isoformat(timespec="seconds").replace("+00:00", "Z")
        try:
            self.witnesses.accept(note + response.text, now)
        except LedgerError as error:
            log.warning("witness %s answered no valid cosignature: %s", row["id"], error)
            return 0
        return 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="witness-push", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.client.close()

    def _run(self) -> None:
        while not self._stopping.wait(INTERVAL):
            try:
                self.tick()
            except Exception:  # keep pushing; the next tick retries
                log.exception("pushing checkpoints to witnesses failed; retrying")


def start_pushing(recorder: ApplicationRecorder, view: ViewStore) -> WitnessPusher:
    """What `timebank project` runs beside the checkpointer."""
    pusher = WitnessPusher(WitnessLog(TransparencyLog(AuditLog(recorder, view))))
    pusher.start()
    return pusher
