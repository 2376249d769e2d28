"""Log lines are JSON, carry the request id, follow TIMEBANK_LOG_LEVEL and never hold a key."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from api.logging_setup import configure_logging, request_id, uvicorn_log_config

ACCESS_KEY = "tbk_0a1b2c3d_Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA-_"


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    monkeypatch.delenv("TIMEBANK_LOG_LEVEL", raising=False)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    yield stream
    root.handlers[:], root.level = saved
    request_id.set(None)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_record_is_one_json_line_with_its_request_id(lines: io.StringIO) -> None:
    configure_logging(stream=lines)
    request_id.set("req-42")
    logging.getLogger("api").info("handled", extra={"status": 201, "path": "/v1/exchanges"})
    [entry] = records(lines)
    assert entry["message"] == "handled"
    assert entry["level"] == "info"
    assert entry["request_id"] == "req-42"
    assert (entry["status"], entry["path"]) == (201, "/v1/exchanges")
    assert str(entry["time"]).endswith("Z")


def test_keys_and_authorization_headers_never_reach_the_log(
    lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMEBANK_ADMIN_KEY", "operator-bootstrap-secret")
    configure_logging(stream=lines)
    log = logging.getLogger("api")
    log.warning("key %s and operator-bootstrap-secret", ACCESS_KEY)
    log.info("headers", extra={"authorization": "Bearer abc", "headers": {"Authorization": "x"}})
    log.info("sent Authorization: Bearer %s", ACCESS_KEY, extra={"idempotency_key": "batch-7"})
    try:
        raise ValueError(f"bad key {ACCESS_KEY}")
    except ValueError:
        log.exception("failed")
    text = lines.getvalue()
    assert "Zm9vYmFy" not in text
    assert "operator-bootstrap-secret" not in text
    assert "abc" not in text
    first, second, third, fourth = records(lines)
    assert "tbk_0a1b2c3d_" in str(first["message"])  # the public key id stays, for tracing
    assert second["authorization"] == "[redacted]"
    assert second["headers"] == {"Authorization": "[redacted]"}
    assert third["idempotency_key"] == "batch-7"
    assert "ValueError" in str(fourth["exception"])


@pytest.mark.parametrize(
    ("setting", "shown", "hidden"), [("warning", "warning", "info"), ("DEBUG", "debug", None)]
)
def test_the_level_comes_from_the_environment(
    lines: io.StringIO, monkeypatch: pytest.MonkeyPatch, setting: str, shown: str, hidden: str
) -> None:
    monkeypatch.setenv("TIMEBANK_LOG_LEVEL", setting)
    configure_logging(stream=lines)
    log = logging.getLogger("ledger")
    log.debug("debug line")
    log.info("info line")
    log.warning("warning line")
    levels = {entry["level"] for entry in records(lines)}
    assert shown in levels
    assert hidden not in levels


def test_an_unknown_level_falls_back_to_info_and_says_so(
    lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMEBANK_LOG_LEVEL", "chatty")
    configure_logging(stream=lines)
    logging.getLogger("api").debug("hidden")
    [complaint] = records(lines)
    assert "TIMEBANK_LOG_LEVEL" in str(complaint["message"])


def test_uvicorn_workers_get_the_same_json_lines(
    lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stderr", lines)
    logging.config.dictConfig(uvicorn_log_config("info"))
    logging.getLogger("uvicorn.error").info("Started server process")
    logging.getLogger("uvicorn.access").info("GET / 200")  # the API logs requests itself
    [entry] = records(lines)
    assert entry["logger"] == "uvicorn.error"
