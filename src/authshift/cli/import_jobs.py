"""``authshift imports``: manage import jobs after they ran (``undo``).

Heavy modules are imported inside the commands, so that loading the CLI stays fast.
"""

from __future__ import annotations

import uuid
from typing import Any

import typer

from authshift.cli.context import fail, print_json, run

app = typer.Typer(help="Import jobs: undo one.", no_args_is_help=True)

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


@app.command("undo")
def undo(
    job_id: str = typer.Argument(..., help="The import job's id."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be removed and restored."),
    show_ids: bool = typer.Option(False, "--ids", help="List every user id, not only the users kept."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Remove the users a job inserted and restore those it updated, unless they signed in or changed
    since (those are listed, never touched). Recorded in the audit log."""
    try:
        jid = uuid.UUID(job_id)
    except ValueError:
        fail(f"{job_id!r} is not a job id", 2)

    async def main(state: Any) -> dict[str, Any]:
        from authshift.migration.import_undo_service import preview_undo, undo_job

        async with state.engine.begin() as conn:
            if dry_run:
                return await preview_undo(conn, jid)
            return await undo_job(conn, jid, actor="cli", ctx=state.accounts)

    view = run(main)
    if as_json:
        print_json(view)
    else:
        typer.echo(render(view, show_ids=show_ids))
