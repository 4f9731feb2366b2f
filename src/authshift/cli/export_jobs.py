"""``authshift exports``: the export jobs queued through the admin API or the console, for people
and scripts (``list``, ``show``). ``authshift export FILE`` writes an export directly instead.

Heavy modules are imported inside the commands, so that loading the CLI stays fast.
"""

from __future__ import annotations

import uuid
from typing import Any

import typer

from authshift.cli.context import EXIT_USAGE, fail, print_json, run
from authshift.cli.job_text import EXPORT_WHOLE, export_rows, export_text
from authshift.cli.tables import print_table

app = typer.Typer(help="Export jobs: list and show them.", no_args_is_help=True)


@app.command("list")
def list_(
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="How many exports, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the admin API's view of each export)."),
) -> None:
    """Recent exports, newest first: id, state, format, users, whether secrets are included."""

    async def main(state: Any) -> list[dict[str, Any]]:
        from authshift.migration.exports.jobs import list_export_jobs

        async with state.engine.connect() as conn:
            return await list_export_jobs(conn, limit=limit)

    views = run(main)
    if as_json:
        print_json({"exports": views})
        return
    headers, rows = export_rows(views)
    print_table(headers, rows, keep_whole=EXPORT_WHOLE)


@app.command("show")
def show(
    job_id: str = typer.Argument(..., help="The export's id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the admin API's view)."),
) -> None:
    """One export: state, options, counts, size, times and where to download it."""
    try:
        jid = uuid.UUID(job_id)
    except ValueError:
        fail(f"{job_id!r} is not an export id (`authshift exports list` shows them)", EXIT_USAGE)

    async def main(state: Any) -> dict[str, Any]:
        from authshift.migration.exports.jobs import get_export_job, job_view

        async with state.engine.connect() as conn:
            return job_view(await get_export_job(conn, jid))

    view = run(main)
    if as_json:
        print_json(view)
    else:
        typer.echo(export_text(view))
