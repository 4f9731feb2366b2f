"""Structured logging (structlog) with a processor that redacts secrets wherever they appear."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

SECRET_KEYS = frozenset(
    {
        "password", "new_password", "current_password", "hash", "salt", "secret", "client_secret",
        "token", "access_token", "refresh_token", "id_token", "subject_token", "code", "code_verifier",
        "authorization", "cookie", "key", "api_key", "signer_key", "recovery_codes", "totp", "otp",
        "csrf_token", "encryption_key", "secret_key",
    }
)
REDACTED = "[redacted]"


def redact_value(key: str, value: Any) -> Any:
    if key.lower() in SECRET_KEYS and value not in (None, ""):
        return REDACTED
    if isinstance(value, Mapping):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(key, v) for v in value]
    return value


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key != "event":
            event[key] = redact_value(key, event[key])
    return event


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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
