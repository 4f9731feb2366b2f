"""``authshift migration readiness``: who can sign in here, by readiness x hash family x source.

Heavy modules are imported inside the commands, so that loading the CLI stays fast.
"""

from __future__ import annotations

import uuid
from typing import Any

import typer

from authshift.cli.context import fail, print_json, run

app = typer.Typer(help="Rolling and bulk migration: sign-in readiness.", no_args_is_help=True)

READINESS = ("ready", "lazy", "reset", "unverified")


def _table(data: dict[str, Any]) -> str:
    rows = [("readiness", "hash family", "source", "users")]
    rows += [(c["readiness"], c["hash_family"], c["source"], str(c["users"])) for c in data["cells"]]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    totals = ", ".join(f"{k} {v}" for k, v in data["totals"].items())
    lines.append(f"totals: {totals} ({data['users']} users)")
    if data["shadow"]:
        lines.append("shadow verification (imported hash vs the legacy system's answer):")
        for s in data["shadow"]:
            lines.append(f"  {s['hash_family']}  {s['source']}: {s['checks']} checks, {s['mismatches']} mismatches "
                         f"({s['mismatch_rate']:.1%})")
    return "\n".join(lines)


@app.command("readiness")
def readiness(
    readiness_: str | None = typer.Option(None, "--readiness", help="List the users of this readiness."),
    hash_family: str | None = typer.Option(None, "--hash-family", help="List the users of this hash family."),
    source: str | None = typer.Option(None, "--source", help="List the users of this source ('(none)': no source)."),
    after: str | None = typer.Option(None, "--after", help="Continue the list after this user id."),
    limit: int = typer.Option(100, min=1, max=1000, help="Users per page of the list."),
    recompute: bool = typer.Option(False, "--recompute", help="Judge every user again first (after a configuration change)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The readiness table (readiness x hash family x source); with --readiness, --hash-family or
    --source, the ids of the users in that cell, a page at a time."""
    if readiness_ is not None and readiness_ not in READINESS:
        fail(f"--readiness must be one of {', '.join(READINESS)}", 2)
    after_id = None
    if after is not None:
        try:
            after_id = uuid.UUID(after)
        except ValueError:
            fail(f"--after {after!r} is not a user id", 2)
    listing = readiness_ is not None or hash_family is not None or source is not None

    async def main(state: Any) -> dict[str, Any]:
        from authshift.migration.readiness.report import cell_user_ids, readiness_table

        if recompute:
            await _recompute(state)
        async with state.engine.connect() as conn:
            if listing:
                return await cell_user_ids(conn, readiness=readiness_, hash_family=hash_family, source=source,
                                           after=after_id, limit=limit)
            return await readiness_table(conn)

    data = run(main)
    if as_json:
        print_json(data)
    elif listing:
        for user in data["users"]:
            typer.echo(f"{user['id']}" + (f"  {user['reason']}" if user["reason"] else ""))
        if data["next"]:
            typer.echo(f"more: --after {data['next']}")
    else:
        typer.echo(_table(data))


async def _recompute(state: Any) -> None:
    import sqlalchemy as sa

    from authshift.migration.readiness.store import refresh
    from authshift.storage.tables import users

    after = None
    while True:
        async with state.engine.begin() as conn:
            q = sa.select(users.c.id).order_by(users.c.id).limit(1000)
            if after is not None:
                q = q.where(users.c.id > after)
            ids = list((await conn.execute(q)).scalars())
            if not ids:
                return
            await refresh(conn, ids, state.accounts)
        after = ids[-1]
