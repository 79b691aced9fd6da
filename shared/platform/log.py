"""JSON log lines for Cloud Logging: ``severity``, message, trace and context ids, PII masked.

``get_logger(__name__)`` everywhere; ``configure()`` once per process (the functions call it at
import through ``functions._boot``). Context such as the notification id travels in a contextvar
so every line of one request carries it without threading it through calls.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from shared.platform.masking import scrub

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "log_context", default=_EMPTY
)
_SEVERITY = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
# Keys whose values are secrets or bodies: never printed, whatever their content.
_REDACTED_KEYS = {"body", "text", "password", "token", "auth_token", "authorization", "secret"}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {
            str(k): ("<redacted>" if str(k).lower() in _REDACTED_KEYS else _clean(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return scrub(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, in the shape Cloud Logging's structured logging reads.

    ``secrets`` are the configured secret values (tokens, passwords): wherever one appears in a
    line (an exception message, a URL), it is replaced by ``<redacted>``.
    """

    def __init__(self, project: str | None = None, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self._project = project
        # As they appear inside a JSON string; short values are not secrets worth a scan.
        self._secrets = sorted(
            {json.dumps(v, ensure_ascii=False)[1:-1] for v in secrets if v and len(v) >= 6},
            key=len,
            reverse=True,
        )

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelno, "DEFAULT"),
            "message": scrub(record.getMessage()),
            "logger": record.name,
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
        }
        context = dict(_context.get())
        trace = context.pop("trace", None)
        if trace and self._project:
            entry["logging.googleapis.com/trace"] = f"projects/{self._project}/traces/{trace}"
        elif trace:
            entry["trace"] = trace
        for key, value in context.items():
            entry[key] = _clean(value)
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = "<redacted>" if key.lower() in _REDACTED_KEYS else _clean(value)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        line = json.dumps(entry, ensure_ascii=False, default=str)
        for secret in self._secrets:
            line = line.replace(secret, "<redacted>")
        return line


def configure(
    project: str | None = None, level: int = logging.INFO, secrets: Iterable[str | None] = ()
) -> None:
    """Route the root logger to stdout as JSON lines (idempotent); ``secrets`` never printed."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(project, secrets))
    root.handlers = [handler]
    root.setLevel(level)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields (``notificationId=...``, ``trace=...``) to every log line inside the block."""
    merged = {**_context.get(), **{k: v for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def trace_id_from_header(header: str | None) -> str | None:
    """The trace id of an ``X-Cloud-Trace-Context: TRACE/SPAN;o=1`` header."""
    if not header:
        return None
    trace = header.split("/", 1)[0].strip()
    return trace or None
