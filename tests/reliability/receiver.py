"""A webhook receiver on 127.0.0.1 that fails, stalls or accepts, as a test tells it to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

Behaviour = Callable[[int], str]  # request number -> "accept" | "fail" | "stall"


@dataclass
class Received:
    webhook_id: str
    timestamp: str
    signature: str
    body: bytes
    answered: str
    at: float

    def verifies(self, secret: str) -> bool:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        signed = f"{self.webhook_id}.{self.timestamp}.".encode() + self.body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        return any(
            hmac.compare_digest(part.removeprefix("v1,"), expected)
            for part in self.signature.split(" ")
        )

    @property
    def change(self) -> dict[str, Any]:
        found: dict[str, Any] = orjson.loads(self.body)
        return found


@dataclass
class Receiver:
    behaviour: Behaviour
    stall_seconds: float = 2.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    number = len(receiver.received)
                    answer = receiver.behaviour(number)
                    receiver.received.append(
                        Received(
                            self.headers.get("webhook-id", ""),
                            self.headers.get("webhook-timestamp", ""),
                            self.headers.get("webhook-signature", ""),
                            body,
                            answer,
                            time.monotonic(),
                        )
                    )
                if answer == "stall":
                    time.sleep(receiver.stall_seconds)
                if answer == "huge":  # 2xx at once, then a body that never ends, slowly
                    self._trickle()
                    return
                self.send_response(204 if answer == "accept" else 500)
                self.send_header("content-length", "0")
                self.end_headers()

            def _trickle(self) -> None:
                self.send_response(200)
                self.send_header("content-length", str(10**10))
                self.end_headers()
                try:
                    for _ in range(1000):
                        self.wfile.write(b"x" * 65536)
                        time.sleep(0.01)
                except OSError:
                    return  # the sender hung up, as it should

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.answered == "accept"]

    def all(self) -> list[Received]:
        with self.lock:
            return list(self.received)
