"""``authshift import FILE``: bulk import (or dry-run) a user export file, with a progress bar.

Exit status: 0 when the job ran to completion, even when some records failed (they are in the
report); 1 when the job could not run (no records, unreadable file, another process runs it);
2 for bad options; 3 when more records failed than ``--max-failed`` allows (the job ran: what it
wrote stays, undo it with ``authshift imports undo JOB_ID``); 4 when a ``--check-credentials``
account cannot sign in; 130 when interrupted (run the same command again to resume).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from authshift.accounts.context import hash_configs_from_settings
from authshift.accounts.hash_config_store import check_hash_config_names
from authshift.cli.context import EXIT_USAGE, fail, settings
from authshift.cli.import_extras import ImportExtras
from authshift.errors import AuthshiftError, InvalidInput
from authshift.logs import configure_logging
from authshift.migration import import_jobs as jobs
from authshift.migration.bulk_import import BatchDone, ImportSummary, OutcomesCallback, dry_run_to_report, run_job
from authshift.migration.import_plan import Decision
from authshift.migration.import_plan import IDENTIFIERS, MODES
from authshift.migration.import_source import ImportOptions, check_options, file_hash_configs
from authshift.migration.sources import FORMATS, SourceFormatError
from authshift.state import AppState, build_state
from authshift.storage.migrate import upgrade
from authshift.storage.tables import users

EXIT_FAILED = 1
EXIT_TOO_MANY_FAILED = 3
EXIT_KNOWN_ANSWER_FAILED = 4
EXIT_INTERRUPTED = 130


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in chunks (how a re-run of the same file is recognised)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _open_report(path: Path) -> TextIO:
    """The report holds personal data (emails, names): readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8")


def _report_writer(fh: TextIO) -> OutcomesCallback:
    """Append each committed batch's outcomes to the report as the job goes."""

    def write(decisions: Sequence[Decision]) -> None:
        fh.write("".join(d.as_line() + "\n" for d in decisions))

    return write


class _Bar:
    """A rich progress bar on stderr, by bytes of the file read."""

    def __init__(self, total: int, description: str) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[counts]}"), console=Console(stderr=True), transient=False,
        )
        self.task = self.progress.add_task(description, total=total or None, counts="")

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.progress.stop()

    def update(self, done: BatchDone) -> None:
        c = done.counts
        self.progress.update(
            self.task, completed=done.bytes_read,
            counts=f"read {c.read}  inserted {c.inserted}  updated {c.updated}  skipped {c.skipped}  failed {c.failed}",
        )


def _summary(summary: ImportSummary, report: Path, extra: ImportExtras) -> None:
    c = summary.counts
    title = "dry run (nothing written)" if summary.dry_run else f"import job {summary.job_id}"
    lines = [f"{title}: {summary.state}" + (f": {summary.error}" if summary.error else "")]
    for name, value in c.as_dict().items():
        lines.append(f"  {name:<9}{value:>10}")
    lines += extra.lines()
    lines.append(f"report: {report}")
    typer.echo("\n".join(lines))


async def _schema_ready(state: AppState) -> bool:
    try:
        async with state.engine.connect() as conn:
            conn = await conn.execution_options(readonly=True)
            async with conn.begin():
                await conn.execute(sa.select(users.c.id).limit(1))
    except Exception:  # noqa: BLE001 - any failure means the schema is not there
        return False
    return True


async def _dry_run(state: AppState, path: Path, options: ImportOptions, report: Path,
                   extra: ImportExtras) -> ImportSummary:
    if not await _schema_ready(state):
        raise InvalidInput("the database has no authshift schema yet: run `authshift db upgrade` first")
    with _open_report(report) as fh, _Bar(path.stat().st_size, f"dry run {path.name}") as bar:
        summary = await dry_run_to_report(
            state.engine, state.accounts, path, options, config=state.settings.imports,
            on_outcomes=extra.watching(_report_writer(fh)), on_progress=bar.update,
        )
    await extra.after_dry_run(state)
    return summary


async def _find_or_create_job(state: AppState, path: Path, options: ImportOptions, resume: uuid.UUID | None) -> tuple[uuid.UUID, bool]:
    digest = file_digest(path)
    async with state.engine.begin() as conn:
        if resume is not None:
            row = await jobs.get_job(conn, resume)
            if row["file_digest"] != digest:
                raise InvalidInput(f"{path} is not the file job {resume} was importing (its content differs)")
            return resume, True
        found = await jobs.find_resumable_job(conn, file_digest=digest, options=options.as_json())
        if found is not None:
            return found["id"], False
        job_id = await jobs.create_job(
            conn, origin="cli", created_by="cli", options=options.as_json(), file_path=str(path),
            file_name=path.name, file_digest=digest, file_size=path.stat().st_size,
        )
        return job_id, False


async def _real_run(state: AppState, path: Path, options: ImportOptions, report: Path | None,
                    resume: uuid.UUID | None, extra: ImportExtras) -> tuple[ImportSummary, Path]:
    job_id, explicit = await _find_or_create_job(state, path, options, resume)
    async with state.engine.connect() as conn:
        row = await jobs.get_job(conn, job_id)
    if row["last_index"]:
        typer.echo(f"resuming import job {job_id} after line {row['last_line']} "
                   f"({row['records_read']} records already done)", err=True)
    cfg = state.settings.imports
    report = report or Path(f"import-{job_id}.report.ndjson")
    with _open_report(report) as fh:
        # a resumed job: the outcomes committed before the crash come from the database first
        async for text in jobs.iter_result_lines(state.engine, job_id):
            fh.write(text)
        with _Bar(path.stat().st_size, f"import {path.name}") as bar:
            summary = await run_job(
                state.engine, state.accounts, job_id, owner=jobs.lease_owner_id(), config=cfg,
                on_progress=bar.update, on_outcomes=_report_writer(fh), allow_failed=explicit,
            )
    await extra.after_job(state, job_id)
    return summary, report


def import_(
    file: Path = typer.Argument(..., help="The export file (NDJSON, CSV, JSON; gzip is undone)."),
    format: str = typer.Option("native", "--format", "-f", help=f"The file's format: {', '.join(FORMATS)}."),
    identifier: str = typer.Option(
        "email", "--identifier", help=f"What matches a record to an existing user: {', '.join(IDENTIFIERS)}."
    ),
    mode: str = typer.Option(
        "insert", "--mode",
        help="insert: skip existing users; upsert: update them (null removes a field); update: only existing users.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and classify every record; write no user."),
    hash_config: Path | None = typer.Option(
        None, "--hash-config", help="Project hash parameters (Firebase console block, JSON or TOML)."
    ),
    hash_config_name: str = typer.Option(
        "default", "--hash-config-name",
        help="The name the file's users' hash parameters are kept under (one per Firebase project).",
    ),
    hash_format: str | None = typer.Option(
        None, "--hash-format",
        help="The family of the file's hashes where a hash's shape fits several (e.g. werkzeug, django, nt).",
    ),
    report: Path | None = typer.Option(None, "--report", help="Where to write the per-record report (NDJSON)."),
    auth0_password_hashes: Path | None = typer.Option(
        None, "--auth0-password-hashes", help="The password-hash export Auth0 support provides (NDJSON)."
    ),
    source: str | None = typer.Option(
        None, "--source",
        help="The system these users come from: their source, within which external_id is unique "
             "(default: the record's own, else the format's name, or 'import' for native files).",
    ),
    resume: str | None = typer.Option(None, "--resume", help="Resume this job id (the same file)."),
    max_failed: str | None = typer.Option(
        None, "--max-failed", help="Exit with status 3 when more records fail than this: a number, or a percentage like 5%.",
    ),
    check_credentials: Path | None = typer.Option(
        None, "--check-credentials",
        help="A CSV of login_id,password of test accounts: check each signs in with what was imported.",
    ),
) -> None:
    """Import users from a file, reporting every record's outcome (inserted, updated, skipped, failed)."""
    cfg = settings()
    configure_logging(cfg.log_level, cfg.log_format)
    if not file.is_file():
        fail(f"{file} is not a readable file", EXIT_USAGE)
    if mode not in MODES:
        fail(f"--mode must be one of {', '.join(MODES)}", EXIT_USAGE)
    resume_id: uuid.UUID | None = None
    if resume is not None:
        try:
            resume_id = uuid.UUID(resume)
        except ValueError:
            fail(f"--resume {resume!r} is not a job id", EXIT_USAGE)
        if dry_run:
            fail("--resume and --dry-run cannot be combined", EXIT_USAGE)
    options = ImportOptions(
        format=format, identifier=identifier, mode=mode, dry_run=dry_run,
        hash_config=hash_config_name, hash_config_file=str(hash_config.resolve()) if hash_config else None,
        hash_format=hash_format,
        auth0_password_hashes=str(auth0_password_hashes.resolve()) if auth0_password_hashes else None,
        source=source,
    )
    path = file.resolve()
    try:  # bad options are reported before anything is touched, the database schema included
        check_options(options, hash_configs_from_settings(cfg))
        extra = ImportExtras.from_options(max_failed, check_credentials, cfg)
        extra.file_configs = file_hash_configs(options)
    except InvalidInput as exc:
        fail(exc.detail + "".join(f"\n  {e.path}: {e.message}" for e in exc.errors), EXIT_USAGE)
    if not dry_run:
        upgrade(cfg.database_url)

    async def main() -> tuple[ImportSummary, Path]:
        state = build_state(cfg)
        try:
            if dry_run:
                target = report or Path(f"import-dry-run-{path.name}.report.ndjson")
                return await _dry_run(state, path, options, target, extra), target
            await check_hash_config_names(state.engine, state.accounts, file_hash_configs(options))
            return await _real_run(state, path, options, report, resume_id, extra)
        finally:
            await state.close()

    try:
        summary, written = asyncio.run(main())
    except InvalidInput as exc:
        details = "".join(f"\n  {e.path}: {e.message}" for e in exc.errors)
        fail(f"{exc.detail}{details}", EXIT_USAGE)
    except AuthshiftError as exc:
        fail(exc.detail, EXIT_FAILED)
    except SourceFormatError as exc:
        fail(f"the file cannot be read as {format}: {exc}", EXIT_FAILED)
    except OSError as exc:
        fail(f"the file cannot be read: {exc.strerror or exc}", EXIT_FAILED)
    except KeyboardInterrupt:
        typer.echo("interrupted: the batch in progress was rolled back; run the same command again to resume", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    _summary(summary, written, extra)
    if summary.state != "completed":
        raise typer.Exit(EXIT_FAILED)
    if extra.too_many_failed(summary.counts):
        typer.echo(f"error: {summary.counts.failed} of {summary.counts.read} records failed, more than "
                   f"--max-failed {max_failed} allows", err=True)
        raise typer.Exit(EXIT_TOO_MANY_FAILED)
    if extra.known_answer_failed():
        typer.echo("error: a --check-credentials account cannot sign in with what was imported", err=True)
        raise typer.Exit(EXIT_KNOWN_ANSWER_FAILED)
