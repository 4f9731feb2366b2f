"""Error types of authshift. HTTP renders them as ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from authshift.security.redaction import redact


@dataclass(frozen=True)
class FieldError:
    """One problem (or warning) with one field of the input, named by its path
    (``mfa.totp[0].digits``; empty for the record as a whole). The one type for field problems:
    the admin API's ``errors``, a record's issues and warnings, and import reports all use it, so
    the message reads the same everywhere (``str()``)."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class AuthshiftError(Exception):
    """Base of every error authshift reports to a person. Messages never contain secrets."""

    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: list[FieldError] = errors or []
        self.extra = extra

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://authshift.dev/problems/{self.type_slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        body.update(redact(self.extra))  # the one redaction rule (security/redaction.py)
        return body


class InvalidInput(AuthshiftError):
    status = 422
    title = "Invalid input"
    type_slug = "invalid-input"


class NotFound(AuthshiftError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(AuthshiftError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class Gone(AuthshiftError):
    status = 410
    title = "Gone"
    type_slug = "gone"


class Unauthorized(AuthshiftError):
    status = 401
    title = "Unauthorized"
    type_slug = "unauthorized"


class Forbidden(AuthshiftError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class TooManyRequests(AuthshiftError):
    status = 429
    title = "Too many requests"
    type_slug = "too-many-requests"


class Unavailable(AuthshiftError):
    status = 503
    title = "Service unavailable"
    type_slug = "unavailable"


@dataclass
class ErrorList:
    """Collects field errors, then raises them together."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def raise_if_any(self, detail: str = "the input has errors") -> None:
        if self.errors:
            raise InvalidInput(detail, errors=self.errors)
