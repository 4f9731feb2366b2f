"""``authshift import FILE``: bulk import (or dry-run) a user export file, with a progress bar.

Exit status: 0 when the job ran to completion, even when some records failed (they are in the
report); 1 when the job could not run (no records, unreadable file, another process runs it, no
instance here, a schema that is not this authshift's); 2 for bad options; 3 when more records
failed than ``--max-failed`` allows (the job ran: what it wrote stays, undo it with
``authshift imports undo JOB_ID``); 4 when a ``--check-credentials`` account cannot sign in; 130
when interrupted (run the same command again to resume). The report goes to ``--report`` or, by
default, to ``<data_dir>/reports/`` of the instance (never the working directory).
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import typer

from authshift.accounts.context import hash_configs_from_settings
from authshift.accounts.hash_config_store import check_hash_config_names
from authshift.cli.context import EXIT_USAGE, cli_actor, fail, open_state, require_instance, settings
from authshift.cli.import_extras import ImportExtras
from authshift.cli.import_report import ProgressBar, Tally, default_report, open_report, report_writer, summary_text, tally_lines
from authshift.errors import AuthshiftError, InvalidInput
from authshift.jobs.lease import owner_id
from authshift.logs import configure_logging
from authshift.migration.formats import FORMATS, SourceFormatError
from authshift.migration.imports import jobs
from authshift.migration.imports.bulk import ImportSummary, dry_run_to_report, run_job
from authshift.migration.imports.faults import crash_summary
from authshift.migration.imports.plan import IDENTIFIERS, MODES
from authshift.migration.imports.service import JobFile, start_or_resume
from authshift.migration.imports.source import ImportOptions, check_options, file_hash_configs
from authshift.state import AppState
from authshift.storage.migrate import SchemaMismatch

EXIT_FAILED = 1
EXIT_TOO_MANY_FAILED = 3
EXIT_KNOWN_ANSWER_FAILED = 4
EXIT_INTERRUPTED = 130


async def _dry_run(state: AppState, path: Path, options: ImportOptions, report: Path, tally: Tally,
                   extra: ImportExtras) -> ImportSummary:
    with open_report(report) as fh, ProgressBar(path.stat().st_size, f"dry run {path.name}", dry_run=True) as bar:
        summary = await dry_run_to_report(
            state.engine, state.accounts, path, options, config=state.settings.imports,
            on_outcomes=extra.watching(report_writer(fh, tally, dry_run=True)), on_progress=bar.update,
        )
    await extra.after_dry_run(state)
    return summary


async def _real_run(state: AppState, path: Path, options: ImportOptions, report: Path | None,
                    resume: uuid.UUID | None, tally: Tally, extra: ImportExtras) -> tuple[ImportSummary, Path]:
    started = await start_or_resume(state.engine, JobFile.of(path), options, actor=cli_actor(), resume=resume)
    job_id, row = started.id, started.row
    if row["last_index"]:
        typer.echo(f"resuming import job {job_id} after line {row['last_line']} "
                   f"({row['records_read']} records already done)", err=True)
    cfg = state.settings.imports
    report = report or default_report(state.settings.data_dir, f"import-{job_id}.report.ndjson")
    with open_report(report) as fh:
        # a resumed job: the outcomes committed before the crash come from the database first
        async for text in jobs.iter_result_lines(state.engine, job_id):
            fh.write(text)
            tally_lines(text, tally)
        with ProgressBar(path.stat().st_size, f"import {path.name}", dry_run=False) as bar:
            summary = await run_job(
                state.engine, state.accounts, job_id, owner=owner_id(), config=cfg,
                on_progress=bar.update, on_outcomes=report_writer(fh, tally, dry_run=False), allow_failed=started.explicit,
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
    fusionauth_webauthn: Path | None = typer.Option(
        None, "--fusionauth-webauthn",
        help="FusionAuth's passkeys: the /api/webauthn/import body ({\"credentials\": [...]}), joined by userId.",
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
        fusionauth_webauthn=str(fusionauth_webauthn.resolve()) if fusionauth_webauthn else None,
        source=source,
    )
    path = file.resolve()
    try:  # bad options are reported before anything is touched, the database schema included
        check_options(options, hash_configs_from_settings(cfg))
        extra = ImportExtras.from_options(max_failed, check_credentials, cfg)
        extra.file_configs = file_hash_configs(options)
    except InvalidInput as exc:
        fail(exc.detail + "".join(f"\n  {e}" for e in exc.errors), EXIT_USAGE)
    require_instance(cfg)  # never creates one, nor changes its schema
    tally = Tally()

    async def main() -> tuple[ImportSummary, Path]:
        state = await open_state(cfg)
        try:
            if dry_run:
                target = report or default_report(cfg.data_dir, f"import-dry-run-{path.name}.report.ndjson")
                return await _dry_run(state, path, options, target, tally, extra), target
            await check_hash_config_names(state.engine, state.accounts, file_hash_configs(options))
            return await _real_run(state, path, options, report, resume_id, tally, extra)
        finally:
            await state.close()

    try:
        summary, written = asyncio.run(main())
    except SchemaMismatch as exc:
        fail(str(exc), EXIT_FAILED)
    except InvalidInput as exc:
        details = "".join(f"\n  {e}" for e in exc.errors)
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
    except Exception as exc:  # noqa: BLE001 - the job keeps the reason; the message may quote data
        fail(f"the import stopped unexpectedly ({crash_summary(exc)}); the batch in progress was rolled back. Run the "
             f"same command again to resume: after {cfg.imports.max_attempts} such stops in a row the job ends failed",
             EXIT_FAILED)
    typer.echo(summary_text(summary, written, tally, extra.lines()))
    if summary.state != "completed":
        raise typer.Exit(EXIT_FAILED)
    if extra.too_many_failed(summary.counts):
        typer.echo(f"error: {summary.counts.failed} of {summary.counts.read} records failed, more than "
                   f"--max-failed {max_failed} allows", err=True)
        raise typer.Exit(EXIT_TOO_MANY_FAILED)
    if extra.known_answer_failed():
        typer.echo("error: a --check-credentials account cannot sign in with what was imported", err=True)
        raise typer.Exit(EXIT_KNOWN_ANSWER_FAILED)
