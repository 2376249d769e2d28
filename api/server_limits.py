"""What one API process lets a client hold: a bounded wait for each request head, and a
bounded number of connections and requests in flight.

uvicorn bounds the idle time between keep-alive requests and, through the app, the body
(api/body_limit.py), but not the head: a client sending one header byte a second would hold
its connection for ever. `HeadTimeoutProtocol` is uvicorn's own httptools protocol with one
timer more, from the connection's first byte (or the next request's) to the end of its headers.
"""

from __future__ import annotations

import functools
import logging
import os
from asyncio import TimerHandle, Transport
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT_VAR = "TIMEBANK_HEADER_TIMEOUT_SECONDS"
CONCURRENCY_VAR = "TIMEBANK_LIMIT_CONCURRENCY"
log = logging.getLogger("uvicorn.error")


@dataclass(frozen=True)
class ServerLimits:
    header_timeout_seconds: float = 10.0
    """Longest a client may take to send a request's line and headers; then it is closed."""
    limit_concurrency: int = 256
    """Connections or requests in flight per API process beyond which a request gets 503:
    below the usual 1,024 open files, with room for the database pool, and about a third of
    a second of work for one core at some 1.2 ms a request."""

    @classmethod
    def from_env(cls) -> ServerLimits:
        return cls(
            header_timeout_seconds=float(os.environ.get(HEADER_TIMEOUT_VAR, 10.0)),
            limit_concurrency=int(os.environ.get(CONCURRENCY_VAR, 256)),
        )


@functools.cache
def _header_timeout() -> float:
    """Read once per process: uvicorn makes a protocol object per connection."""
    return ServerLimits.from_env().header_timeout_seconds


class HeadTimeoutProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: TimerHandle | None = None  # while a request head is being read

    def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()  # a connection that sends nothing is a slow head too

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head_timer()

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _start_head_timer(self) -> None:
        if self._head_timer is None:  # the first byte keeps the deadline connecting set
            self._head_timer = self.loop.call_later(_header_timeout(), self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            log.debug("closing a connection whose request head took too long")
            self.transport.close()
