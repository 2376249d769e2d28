"""A client cannot hold a connection by sending its request slowly, nor crowd the server with
connections: `timebank serve` closes a request head that takes too long, and answers 503 past
its concurrency limit, while ordinary keep-alive clients go on as before."""

from __future__ import annotations

import contextlib
import http.client
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from api.server_limits import CONCURRENCY_VAR, HEADER_TIMEOUT_VAR
from tests.e2e.conftest import start_server
from tests.e2e.support import Server

HEADER_TIMEOUT = 2  # seconds
CONCURRENCY = 3
PACE = 0.5  # seconds between the bytes a slow client sends
SLOW_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 60 + b"\r\n\r\n"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("slow-clients")
    limits = {HEADER_TIMEOUT_VAR: str(HEADER_TIMEOUT), CONCURRENCY_VAR: str(CONCURRENCY)}
    url = f"sqlite:///{workdir}/timebank.sqlite3"
    server = start_server(url, workdir, "--no-projections", env=limits)
    yield server
    server.stop()


def address(server: Server) -> tuple[str, int]:
    parsed = urlparse(server.base_url)
    assert parsed.hostname == "127.0.0.1"  # loopback only
    assert parsed.port is not None
    return parsed.hostname, parsed.port


def closed_while_trickling(sock: socket.socket, data: bytes) -> bool:
    """Send `data` a byte at a time; True when the server closes the connection first.
    The whole of `data` takes far longer than the server's bound, so the loop ends either way."""
    sock.settimeout(PACE)
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue  # the pause between two bytes
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False


def closed_while_silent(sock: socket.socket) -> bool:
    sock.settimeout(PACE)
    for _ in range(len(SLOW_HEAD)):
        with contextlib.suppress(TimeoutError):
            return sock.recv(4096) == b""
    return False


def test_a_head_sent_one_byte_at_a_time_is_cut_off(guarded: Server) -> None:
    assert len(SLOW_HEAD) * PACE > 10 * HEADER_TIMEOUT
    with socket.create_connection(address(guarded)) as sock:
        assert closed_while_trickling(sock, SLOW_HEAD)


def test_a_connection_that_sends_nothing_is_closed(guarded: Server) -> None:
    with socket.create_connection(address(guarded)) as sock:
        assert closed_while_silent(sock)


def test_keep_alive_goes_on_and_each_later_head_has_the_same_bound(guarded: Server) -> None:
    connection = http.client.HTTPConnection(*address(guarded), timeout=10)
    try:
        for pause in (0, HEADER_TIMEOUT + 1):  # idle longer than a head may take, less than
            time.sleep(pause)  # the keep-alive timeout: the connection stays open
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b'{"status":"ok"}')
        assert connection.sock is not None
        assert closed_while_trickling(connection.sock, SLOW_HEAD)
    finally:
        connection.close()


def test_past_the_concurrency_limit_a_request_is_refused_at_once(guarded: Server) -> None:
    with contextlib.ExitStack() as held:
        for _ in range(CONCURRENCY - 1):
            held.enter_context(socket.create_connection(address(guarded)))
        connection = http.client.HTTPConnection(*address(guarded), timeout=10)
        held.callback(connection.close)
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 503
