"""``authshift export``: every user to a file, in the format ``authshift import`` reads."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from authshift.cli.context import EXIT_USAGE, cli_actor, fail, run
from authshift.errors import ErrorList, InvalidInput
from authshift.migration.exports.bulk import ExportSummary, export_users
from authshift.migration.exports.options import (
    EXPORT_FORMATS,
    FILTER_KEYS,
    ExportOptions,
    parse_export_options,
    parse_filter_pairs,
)
from authshift.migration.exports.output import ExportOutput, open_output, read_recipients_file
from authshift.state import AppState

WITHHELD_HINTS = {
    "password": "password hashes left out (add --include-secrets): imported elsewhere, these users need "
                "password_migration lazy (the legacy system verifies) or reset",
    "password.hash_config": "of them Firebase hashes, whose project parameters hold a secret signer key: with "
                            "--include-secrets they are written inline; without, the importing authshift needs "
                            "the project's --hash-config (and its --hash-config-name), or lazy or reset",
    "mfa.totp": "TOTP factors left out (add --include-secrets)",
    "mfa.recovery_codes": "users with recovery codes, which are stored as one-way digests and cannot be exported",
}


def _options(fmt: str, fields: str | None, filters: list[str], include_secrets: bool, encrypt_to: list[str],
             recipient_file: Path | None) -> ExportOptions:
    errors = ErrorList()
    parsed_filters = parse_filter_pairs(filters, errors)
    recipients = list(encrypt_to)
    if recipient_file is not None:
        try:
            recipients += read_recipients_file(recipient_file)
        except OSError as exc:
            errors.add("recipient-file", f"cannot be read: {exc.strerror}")
        if not recipients:
            errors.add("recipient-file", "holds no age public key")
    try:
        options = parse_export_options(
            format=fmt, fields=fields, filters=parsed_filters, include_secrets=include_secrets,
            encrypt_to=recipients or None,
        )
    except InvalidInput as exc:
        errors.errors.extend(exc.errors)
    if errors.errors:
        fail("the export options are not valid" + "".join(
            f"\n  --{e.path.replace('filters.', 'filter ').replace('encrypt_to', 'encrypt-to').replace('include_secrets', 'include-secrets')}: {e.message}"
            for e in errors.errors
        ), EXIT_USAGE)
    return options


def _target(out: str) -> Path | None:
    if out == "-":
        return None
    path = Path(out)
    if path.is_dir():
        fail(f"{out} is a directory; give a file name", EXIT_USAGE)
    if not path.parent.is_dir():
        fail(f"the directory {path.parent} does not exist", EXIT_USAGE)
    return path


def _print_summary(console: Console, summary: ExportSummary, options: ExportOptions, out: str) -> None:
    rate = summary.users / summary.seconds if summary.seconds else 0.0
    where = "standard output" if out == "-" else out
    secrets = "included" if options.include_secrets else "not included"
    console.print(
        f"exported {summary.written} of {summary.users} users to {where} ({options.format}, "
        f"{summary.bytes / 1e6:.1f} MB, {summary.seconds:.1f} s, {rate:,.0f} users/s); secrets {secrets}"
        + ("; encrypted with age" if options.encrypted else "")
    )
    for key, count in sorted(summary.withheld.items()):
        console.print(f"  {count} {WITHHELD_HINTS.get(key, key)}")
    if summary.issues:
        console.print(f"  {summary.issues} users have something {options.format} cannot take (listed in the report)")


def export(
    out: str = typer.Argument(..., help="The file to write ('-' for standard output)."),
    fmt: str = typer.Option("ndjson", "--format", "-f", help=f"One of {', '.join(EXPORT_FORMATS)}."),
    fields: str | None = typer.Option(None, "--fields", help="Only these record fields, comma-separated (id is always written)."),
    filters: list[str] = typer.Option([], "--filter", help=f"key=value, repeatable; keys: {', '.join(FILTER_KEYS)}."),
    include_secrets: bool = typer.Option(False, "--include-secrets", help="Include password hashes and TOTP secrets."),
    encrypt_to: list[str] = typer.Option([], "--encrypt-to", help="Encrypt the file to this age public key (age1...); repeatable."),
    recipient_file: Path | None = typer.Option(None, "--recipient-file", help="A file of age public keys, one a line."),
    report: Path | None = typer.Option(None, "--report", help="Write what could not be exported, per user, as NDJSON (auth0 and kratos formats)."),
    batch_size: int = typer.Option(5000, "--batch-size", min=100, max=50_000, help="Users read per database round trip when records are built in Python (csv, auth0, --fields); NDJSON of whole records streams lines the database writes."),
) -> None:
    """Export users in the format `authshift import` reads (or Auth0's bulk-import schema)."""
    options = _options(fmt, fields, filters, include_secrets, encrypt_to, recipient_file)
    target = _target(out)
    report_target = _target(str(report)) if report is not None else None
    console = Console(stderr=True, soft_wrap=True)

    async def go(state: AppState) -> ExportSummary:
        output: ExportOutput = open_output(target, options.recipients)
        report_output = open_output(report_target) if report_target is not None else None
        with Progress(
            TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=console, transient=True, disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("export", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return await export_users(
                state.engine, options, output, ctx=state.accounts, actor=cli_actor(), report=report_output, progress=progress,
                batch_size=batch_size,
            )

    try:
        summary = run(go)
    except OSError as exc:  # the disk filled up, the file cannot be created...: nothing was left behind
        fail(f"cannot write the export: {exc.strerror or exc}")
    _print_summary(console, summary, options, out)
    if summary.issues and report is None:
        console.print("  (add --report FILE to list them)")
    sys.stdout.flush()

