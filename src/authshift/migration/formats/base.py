"""What every source reader yields and takes: SourceItem, SourceOptions, SourceFormatError."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol

from authshift.records import FieldIssue, ParsedRecord, RecordError, parse_record

__all__ = [
    "Reader",
    "SourceFormatError",
    "SourceItem",
    "SourceOptions",
    "epoch_to_iso",
]


class SourceFormatError(ValueError):
    """The file as a whole is not in the expected format (nothing sensible can be read from it)."""


@dataclass(frozen=True, slots=True)
class SourceItem:
    """One record as read from a file, before validation.

    ``line`` is the 1-based line of the file where the record starts (for NDJSON its line, for
    CSV the first line of its row, for JSON documents the line of the element's opening brace);
    ``index`` is the 1-based position of the record in the file (the element number of a JSON
    array, the data row of a CSV file, the record count of an NDJSON file). A minified JSON
    array puts every record on line 1: use ``index`` there.

    ``obj`` is a native-shaped object (what ``parse_record`` reads), or ``None`` when the
    record could not be read at all. ``errors`` are problems found by the reader (broken JSON,
    a hash the source system wrote in a form authshift cannot use...): a record with errors
    must be reported as failed, never imported. ``warnings`` are things the reader dropped or
    changed, to report alongside the outcome.
    """

    line: int
    index: int
    obj: dict[str, Any] | None = None
    errors: tuple[FieldIssue, ...] = ()
    warnings: tuple[FieldIssue, ...] = ()

    @property
    def ok(self) -> bool:
        return self.obj is not None and not self.errors

    def parse(self, *, allow_plaintext_password: bool = False) -> ParsedRecord:
        """Validate the object: the reader's warnings come first, its errors fail the record."""
        if self.obj is None or self.errors:
            raise RecordError(self.errors or (FieldIssue("", "the record could not be read"),), self.warnings)
        try:
            parsed = parse_record(self.obj, allow_plaintext_password=allow_plaintext_password)
        except RecordError as exc:
            raise RecordError(exc.issues, self.warnings + exc.warnings) from None
        if not self.warnings:
            return parsed
        return ParsedRecord(parsed.record, self.warnings + parsed.warnings)


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """Options of the readers; each reader uses the ones that concern its format.

    - ``password_hashes``: auth0 — the NDJSON password-hash export Auth0 support provides.
    - ``hash_config_name``: firebase — the name of the hash configuration (signer key, salt
      separator, rounds, mem_cost) that verifies this project's hashes.
    - ``missing_password``: auth0 (database users without a hash), cognito — ``lazy`` (verify the
      password against the legacy system at the next sign-in) or ``reset`` (make the user set a
      new one); written to ``password_migration``.
    - ``default_phone_region``: cognito — region of phone numbers written without ``+``.
    - ``django_model``: django — the model label of the user model in the dump.
    - ``auth0_strategy``: auth0 — the prefix Auth0 puts before bulk-import ``user_id`` values.
    - ``webauthn_credentials``: fusionauth — the body of FusionAuth's ``/api/webauthn/import``
      (``{"credentials": [...]}``), joined to the users by ``userId``.
    """

    password_hashes: Path | None = None
    hash_config_name: str = "default"
    missing_password: Literal["lazy", "reset"] = "lazy"
    default_phone_region: str | None = None
    django_model: str = "auth.user"
    auth0_strategy: str = "auth0"
    webauthn_credentials: Path | None = None


class Reader(Protocol):
    def __call__(self, stream: BinaryIO, *, options: SourceOptions = ...) -> Iterator[SourceItem]: ...


def epoch_to_iso(value: Any, unit: Literal["s", "ms"]) -> str:
    """An epoch number (int, float or digit string) in seconds or milliseconds -> ISO 8601 UTC."""
    if isinstance(value, bool):
        raise ValueError("expected an epoch time, not a boolean")
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            raise ValueError(f"expected an epoch time in {'milliseconds' if unit == 'ms' else 'seconds'}") from None
    elif isinstance(value, (int, float)):
        number = value
    else:
        raise ValueError("expected an epoch time")
    seconds = number / 1000 if unit == "ms" else number
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError("epoch time out of range") from None
    return moment.isoformat().replace("+00:00", "Z")
