"""The input side of an import job: its options, the file read as a stream, and batches of
prepared records.

``ImportOptions`` are what a job is asked to do (and what identifies a re-run of the same job);
``check_options`` turns bad options into one clear error before anything is written;
``read_batches`` reads the file with the chosen reader and yields lists of ``Candidate``,
skipping the records a resumed job has already committed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, BinaryIO

from authshift import passwords
from authshift.errors import FieldError, InvalidInput
from authshift.migration.formats import FORMATS, SourceOptions, get_reader
from authshift.migration.imports.plan import IDENTIFIERS, MODES, Candidate, prepare
from authshift.passwords.formats.base import algorithm_key
from authshift.passwords.hash_config import DEFAULT_NAME as DEFAULT_HASH_CONFIG
from authshift.passwords.registry import format_names

__all__ = [
    "MAX_SOURCE_LENGTH",
    "ByteCounter",
    "ImportOptions",
    "check_options",
    "file_hash_configs",
    "job_hash_configs",
    "read_batches",
]


MAX_SOURCE_LENGTH = 200


@dataclass(frozen=True)
class ImportOptions:
    """What an import job does. Stored with the job; a re-run with equal options resumes it."""

    format: str = "native"
    identifier: str = "email"
    mode: str = "insert"
    dry_run: bool = False
    hash_config: str = "default"  # the hash config name the records refer to (Firebase; --hash-config-name)
    hash_config_file: str | None = None  # a file of hash configs (CLI --hash-config)
    hash_format: str | None = None  # the family of the file's hashes where a shape is ambiguous (--hash-format)
    auth0_password_hashes: str | None = None  # Auth0's password-hash export (CLI/API)
    fusionauth_webauthn: str | None = None  # FusionAuth's /api/webauthn/import body (CLI/API)
    source: str | None = None  # names the system the records come from (CLI --source); accounts.sources

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImportOptions:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def file_hash_configs(options: ImportOptions) -> dict[str, passwords.HashConfig]:
    """The configs of ``--hash-config FILE``: a file of one project's parameters (the console's
    block) gives them the name the records use (``--hash-config-name``, default "default")."""
    if not options.hash_config_file:
        return {}
    configs = passwords.load_hash_configs(options.hash_config_file)
    if list(configs) == [DEFAULT_HASH_CONFIG]:
        return {options.hash_config: configs[DEFAULT_HASH_CONFIG]}
    return configs


def job_hash_configs(options: ImportOptions, configured: Mapping[str, passwords.HashConfig]) -> dict[str, passwords.HashConfig]:
    """The configured hash configs, plus (overriding) those of ``--hash-config FILE``."""
    return {**configured, **file_hash_configs(options)}


def _readable(path: str, name: str, errors: list[FieldError]) -> None:
    p = Path(path)
    if not p.is_file():
        errors.append(FieldError(name, f"{path} is not a readable file"))
        return
    try:
        with p.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        errors.append(FieldError(name, f"{path} cannot be read ({exc.strerror})"))


def check_options(options: ImportOptions, configured: Mapping[str, passwords.HashConfig]) -> dict[str, passwords.HashConfig]:
    """Raise ``InvalidInput`` listing every bad option; return the hash configs the job will use."""
    errors: list[FieldError] = []
    if options.format not in FORMATS:
        errors.append(FieldError("format", f"unknown format {options.format!r}; choose one of {', '.join(FORMATS)}"))
    if options.identifier not in IDENTIFIERS:
        errors.append(FieldError("identifier", f"must be one of {', '.join(IDENTIFIERS)}"))
    if options.mode not in MODES:
        errors.append(FieldError("mode", f"must be one of {', '.join(MODES)}"))
    if options.hash_format is not None:
        if algorithm_key(options.hash_format) not in format_names():
            errors.append(FieldError("hash_format", f"unknown hash format {options.hash_format!r}: give a format name "
                                                    "from docs/hash-formats.md or a family (django, werkzeug, nt, md5)"))
    if options.source is not None and not (0 < len(options.source) <= MAX_SOURCE_LENGTH
                                           and options.source == options.source.strip()):
        errors.append(FieldError("source", f"must be a name of 1 to {MAX_SOURCE_LENGTH} characters, "
                                           "without leading or trailing spaces"))
    if options.auth0_password_hashes:
        if options.format != "auth0":
            errors.append(FieldError("auth0_password_hashes", "only used with the auth0 format"))
        _readable(options.auth0_password_hashes, "auth0_password_hashes", errors)
    if options.fusionauth_webauthn:
        if options.format != "fusionauth":
            errors.append(FieldError("fusionauth_webauthn", "only used with the fusionauth format"))
        _readable(options.fusionauth_webauthn, "fusionauth_webauthn", errors)
    configs = dict(configured)
    if options.hash_config_file:
        try:
            configs = job_hash_configs(options, configured)
        except passwords.PasswordFormatError as exc:
            errors.append(FieldError("hash_config", str(exc)))
    if options.format == "firebase" and not errors and options.hash_config not in configs:
        errors.append(FieldError(
            "hash_config",
            f"the firebase format needs the project's hash parameters: give --hash-config FILE (the console's "
            f"'password hash parameters'), or configure [hash_configs.{options.hash_config}]",
        ))
    if errors:
        raise InvalidInput("the import options are not valid", errors=errors)
    return configs


class ByteCounter(io.RawIOBase):
    """A file read through this counts its bytes (the progress bar's position)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.position += size
        return size

    def close(self) -> None:
        self._raw.close()
        super().close()


def read_batches(
    path: Path,
    options: ImportOptions,
    *,
    batch_size: int,
    limits: passwords.Limits,
    hash_configs: Mapping[str, passwords.HashConfig],
    skip_through: int = 0,
    counter: list[ByteCounter] | None = None,
    prebuild: Callable[[list[Candidate]], None] | None = None,
    webauthn_rp_id: str | None = None,
) -> Iterator[list[Candidate]]:
    """Prepared records in batches, in file order, after record number ``skip_through``.

    Raises ``SourceFormatError`` when the file as a whole is not in the format, ``OSError`` when
    it cannot be read. ``counter`` receives the byte counter of the open file; ``prebuild`` is
    called with each batch before it is yielded (``import_prebuild.Prebuilder``).
    """
    reader = get_reader(options.format)
    source_options = SourceOptions(
        password_hashes=Path(options.auth0_password_hashes) if options.auth0_password_hashes else None,
        hash_config_name=options.hash_config,
        webauthn_credentials=Path(options.fusionauth_webauthn) if options.fusionauth_webauthn else None,
    )
    with path.open("rb") as raw:
        counted = ByteCounter(raw)
        if counter is not None:
            counter.append(counted)
        stream: BinaryIO = io.BufferedReader(counted, buffer_size=1 << 16)  # type: ignore[assignment]
        batch: list[Candidate] = []
        for item in reader(stream, options=source_options):
            if item.index <= skip_through:
                continue
            try:
                cand = prepare(item, identifier=options.identifier, limits=limits, hash_configs=hash_configs,
                               hash_format=options.hash_format, source=options.source,
                               own_sources=options.format == "native", webauthn_rp_id=webauthn_rp_id)
            except Exception as exc:  # noqa: BLE001 - one record never stops the reader
                cand = Candidate(item.index, item.line, None)  # not echoed: it could not be handled
                cand.errors = [{"path": "", "message": f"the record cannot be processed ({type(exc).__name__})"}]
            batch.append(cand)
            if len(batch) >= batch_size:
                if prebuild is not None:
                    prebuild(batch)
                yield batch
                batch = []
        if batch:
            if prebuild is not None:
                prebuild(batch)
            yield batch
