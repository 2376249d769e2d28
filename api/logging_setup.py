"""Structured logs: one JSON object per line on stderr, level from TIMEBANK_LOG_LEVEL.

Log lines end up in shared log stores that many people can read, so secrets are scrubbed
here, in the one place every record passes through: access keys keep only their public id,
Bearer credentials and the operator's key disappear, and fields named like a secret are
replaced whatever their value.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

LOG_LEVEL_VAR = "TIMEBANK_LOG_LEVEL"
DEFAULT_LEVEL = "INFO"
REDACTED = "[redacted]"

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""Set it per request (`request_id.set(...)`): every line logged meanwhile carries it."""

_ACCESS_KEY = re.compile(r"\b(tbk_[A-Za-z0-9]+_)[A-Za-z0-9_-]+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)\S+")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)
_SECRET_FIELD = re.compile(r"(?i)(authorization|secret|password|passwd|token|cookie|^key$|_key$)")
_PUBLIC_FIELDS = frozenset({"idempotency_key", "key_id"})
# uvicorn adds "color_message": the same text with terminal colour codes.
_NOT_EXTRA = {"message", "asctime", "color_message"}
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | _NOT_EXTRA
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def scrub(text: str) -> str:
    """The text with every credential we can recognise replaced."""
    text = _PEM.sub(REDACTED, text)
    text = _ACCESS_KEY.sub(rf"\g<1>{REDACTED}", text)
    text = _BEARER.sub(rf"\g<1>{REDACTED}", text)
    admin_key = os.environ.get("TIMEBANK_ADMIN_KEY")
    if admin_key and len(admin_key) >= 8:
        text = text.replace(admin_key, REDACTED)
    return text


def _clean(name: str, value: Any) -> Any:
    if _SECRET_FIELD.search(name) and name not in _PUBLIC_FIELDS:
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {str(k): _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(name, v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub(str(value))


def _utc(created: float) -> str:
    stamp = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id"?, ...extra fields, "exception"?}`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        current = request_id.get()
        if current is not None:
            entry["request_id"] = current
        for name, value in vars(record).items():
            if name not in _RECORD_FIELDS and not name.startswith("_"):
                entry[name] = _clean(name, value)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_level(value: str | None = None) -> tuple[int, str | None]:
    """The level to use, and a complaint if the configured one was not understood."""
    name = (value if value is not None else os.environ.get(LOG_LEVEL_VAR, "")).strip().upper()
    if not name:
        return logging.getLevelName(DEFAULT_LEVEL), None
    level = logging.getLevelName(name)
    if isinstance(level, int):
        return level, None
    return logging.getLevelName(DEFAULT_LEVEL), f"{LOG_LEVEL_VAR}={value or name!r} is not a level"


def configure_logging(level: str | None = None, stream: IO[str] | None = None) -> None:
    """Send every logger (uvicorn's too) to one JSON handler; call once per process."""
    number, complaint = log_level(level)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(number)
    for name in _UVICORN_LOGGERS:
        # Their own handlers print plain text; the API writes its own per-request line.
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = name != "uvicorn.access"
    if complaint:
        logging.getLogger("timebank").warning("%s; using %s", complaint, DEFAULT_LEVEL)


def uvicorn_log_config(level: str | None = None) -> dict[str, Any]:
    """A `log_config` for `uvicorn.run`: worker processes apply it when they start."""
    number, _ = log_level(level)
    name = logging.getLevelName(number)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": name},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": name},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": name},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": name},
        },
    }
