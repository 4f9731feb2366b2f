"""Structured logging (structlog) with a processor that redacts secrets wherever they appear
(``security/redaction.py``: the rule logs share with the audit log, reports and errors)."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from authshift.security.redaction import REDACTED, redact

__all__ = ["REDACTED", "configure_logging", "get_logger"]


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: every field but the message goes through the one redaction rule."""
    for key in list(event):
        if key != "event":
            event[key] = redact(event[key], key)
    return event


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is logged, not when logging was set up: the progress
    line of ``authshift import`` redirects it, so that a log line prints above the line instead of
    being glued to its end."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "info", fmt: str = "console") -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
