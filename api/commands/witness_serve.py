"""`timebank witness serve`: a C2SP tlog-witness answering `POST /add-checkpoint`.

For organisations that would rather have checkpoints pushed to them. Each request is
checked and the state replaced under the state's lock, before the cosignature is made
(the race c2sp.org/tlog-witness warns of cannot roll the state back). Statuses: 400 a
malformed body, 403 no valid signature of a trusted log key, 404 an unknown origin, 409
an old size that is not the witness's (its size in the body, `text/x.tlog.size`), 422 a
proof that does not verify. Both notes are kept as evidence, as `sync` does, for a 422 and for
a signed checkpoint of a tree smaller than the one kept (a 400 in the protocol).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from api.commands.witness_state import keep_evidence, locked, read_state, write_state
from ledger.ports import wall_seconds
from projections.tlog.cosignature import Cosigner
from projections.tlog.witness import (
    Refused,
    WitnessState,
    advance,
    log_signed,
    parse_add_checkpoint,
)
from projections.witness_follow import History, trusting_signer

log = logging.getLogger("timebank.witness")
MAX_BODY = 64 * 1024
TEXT = "text/plain; charset=utf-8"


class Witness:
    def __init__(
        self,
        cosigner: Cosigner,
        state_path: Path,
        clock: Callable[[], float] = wall_seconds,
        key_history: History | None = None,
    ) -> None:
        """`key_history`: fetches the log's key history, to follow a rotation of its key."""
        self.cosigner = cosigner
        self.state_path = state_path
        self.clock = clock
        self.key_history = key_history

    def add_checkpoint(self, body: str) -> str:
        """The cosignature line for a checkpoint that extends the kept one; else `Refused`."""
        old, proof, message = parse_add_checkpoint(body)
        with locked(self.state_path):
            state = read_state(self.state_path)
            if state is None:
                raise Refused(404, "this witness has no state: bootstrap it with `witness sync`")
            try:
                state = trusting_signer(state, message, self.key_history)
                kept, note = advance(state, message, old, proof)
            except Refused as refused:
                if refused.status == 422 or _shrank(state, message):
                    keep_evidence(self.state_path, state.note, message, refused.reason)
                raise
            write_state(self.state_path, kept)
            return self.cosigner.cosign(note, int(self.clock())).line()


def _shrank(state: WitnessState, message: str) -> bool:
    """A checkpoint the log signed, of a smaller tree than the one kept: as much evidence as a
    proof that fails, though the protocol answers it 400, not 422."""
    try:
        return log_signed(state, message)[1].size < state.size
    except Refused:
        return False


def handler_for(witness: Witness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "timebank-witness"

        def do_POST(self) -> None:
            length = _length(self.headers.get("Content-Length"))
            if self.path.rstrip("/") != "/add-checkpoint":
                self._answer(404, "not found\n")
            elif not 0 < length <= MAX_BODY:
                self._answer(400, f"a body of 1 to {MAX_BODY} bytes\n")
            else:
                self._answer(*answer(witness, self.rfile.read(length)))

        def _answer(self, status: int, body: str, kind: str = TEXT) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return Handler


def answer(witness: Witness, body: bytes) -> tuple[int, str, str]:
    """(status, body, content type) for an add-checkpoint request."""
    try:
        return 200, witness.add_checkpoint(body.decode()), TEXT
    except UnicodeDecodeError:
        return 400, "the body is UTF-8 text\n", TEXT
    except Refused as refused:
        log.warning("refused a checkpoint: %s", refused.reason)
        if refused.status == 409:
            return 409, f"{refused.size}\n", "text/x.tlog.size"
        return refused.status, refused.reason + "\n", TEXT


def _length(header: str | None) -> int:
    return int(header) if header and header.isascii() and header.isdigit() else -1


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), handler_for(witness))
