"""``authshift imports``: the import jobs, for people and scripts: ``list``, ``show``, ``cancel``
and ``undo``. Jobs come from ``authshift import`` and from uploads (admin API, console); these
commands use the admin API's service code, so they show what the API shows.

Heavy modules are imported inside the commands, so that loading the CLI stays fast.
"""

from __future__ import annotations

import uuid
from typing import Any

import typer

from authshift.cli.context import EXIT_USAGE, cli_actor, fail, print_json, run
from authshift.cli.job_text import IMPORT_WHOLE, import_rows, import_text
from authshift.cli.tables import print_table

app = typer.Typer(help="Import jobs: list, show, cancel and undo them.", no_args_is_help=True)

_LABELS = {
    "remove": "users it inserted, to remove", "restore": "users it updated, to restore",
    "signed_in_since": "users who signed in since (kept as they are)",
    "changed_since": "users changed since (kept as they are)", "gone": "users deleted since",
    "not_restored": "users that could not be restored (a login ID is someone else's now)",
}


def render(view: dict[str, Any], *, show_ids: bool) -> str:
    head = "would undo" if view["dry_run"] else "undone"
    lines = [f"import job {view['job_id']}: {head}"]
    for key, label in _LABELS.items():
        if key not in view:
            continue
        part = view[key]
        lines.append(f"  {part['count']:>8}  {label}")
        if show_ids or key in ("signed_in_since", "changed_since", "not_restored"):
            lines += [f"            {uid}" for uid in part["user_ids"]]
    return "\n".join(lines)


def job_id_of(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        fail(f"{text!r} is not a job id (`authshift imports list` shows them)", EXIT_USAGE)


@app.command("list")
def list_(
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="How many jobs, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the admin API's view of each job)."),
) -> None:
    """Recent import jobs, newest first: id, state (with the share read while it runs), file, counts."""

    async def main(state: Any) -> list[dict[str, Any]]:
        from authshift.migration.imports.jobs import list_jobs

        async with state.engine.connect() as conn:
            return await list_jobs(conn, limit=limit)

    views = run(main)
    if as_json:
        print_json({"imports": views})
        return
    headers, rows = import_rows(views)
    print_table(headers, rows, keep_whole=IMPORT_WHOLE)


@app.command("show")
def show(
    job_id: str = typer.Argument(..., help="The import job's id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the admin API's view)."),
) -> None:
    """One job: state, percentage read and time left, options, counts, times, error and warnings."""
    jid = job_id_of(job_id)

    async def main(state: Any) -> dict[str, Any]:
        from authshift.migration.imports.service import import_status

        return await import_status(state, jid)

    view = run(main)
    if as_json:
        print_json(view)
    else:
        typer.echo(import_text(view))


@app.command("cancel")
def cancel(
    job_id: str = typer.Argument(..., help="The import job's id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the job as cancelled)."),
) -> None:
    """Stop a queued or running job: the batch in progress is rolled back, committed batches stay
    (undo them with `authshift imports undo`). Recorded in the audit log."""
    jid = job_id_of(job_id)

    async def main(state: Any) -> dict[str, Any]:
        from authshift.migration.imports.service import cancel_import

        return await cancel_import(state, jid, actor=cli_actor())

    view = run(main)
    if as_json:
        print_json(view)
    else:
        typer.echo(f"cancelled import job {view['id']} after {view['counts']['read']:,} records "
                   f"({view['counts']['inserted']:,} inserted, {view['counts']['updated']:,} updated stay)")


@app.command("undo")
def undo(
    job_id: str = typer.Argument(..., help="The import job's id."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be removed and restored."),
    show_ids: bool = typer.Option(False, "--ids", help="List every user id, not only the users kept."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Remove the users a job inserted and restore those it updated, unless they signed in or changed
    since (those are listed, never touched). Recorded in the audit log."""
    jid = job_id_of(job_id)

    async def main(state: Any) -> dict[str, Any]:
        from authshift.migration.imports.undo_service import preview_undo, undo_job

        async with state.engine.begin() as conn:
            if dry_run:
                return await preview_undo(conn, jid)
            return await undo_job(conn, jid, actor="cli", ctx=state.accounts)

    view = run(main)
    if as_json:
        print_json(view)
    else:
        typer.echo(render(view, show_ids=show_ids))
