"""``authshift users``: the same user services the admin API calls."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import typer

from authshift.accounts import users as svc
from authshift.cli.context import fail, in_transaction, print_json, run
from authshift.cli.tables import print_table
from authshift.records import RecordError, parse_record, record_to_json

app = typer.Typer(help="List, inspect, create, disable and delete users.", no_args_is_help=True)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        fail(f"{value!r} is not a user id (a UUID)", 2)


@app.command("list")
def list_(
    email: str | None = typer.Option(None, help="Only the user with this email (normalised match)."),
    external_id: str | None = typer.Option(None, "--external-id"),
    migration_state: str | None = typer.Option(None, "--migration-state", help="imported, migrated or native"),
    source: str | None = typer.Option(None),
    limit: int = typer.Option(50, min=1, max=svc.MAX_PAGE),
    cursor: str | None = typer.Option(None, help="Continue after this user id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List users, oldest first."""
    if migration_state and migration_state not in ("imported", "migrated", "native"):
        fail("--migration-state must be imported, migrated or native", 2)
    after = _uuid(cursor) if cursor else None
    page, nxt = run(
        in_transaction(
            lambda s, c: svc.list_users(c, svc.UserFilter(email, external_id, migration_state, source), limit=limit, after=after)
        )
    )
    if as_json:
        print_json({"users": page, "next_cursor": str(nxt) if nxt else None})
        return
    print_table(
        ["id", "email", "username", "external_id", "state", "disabled"],
        [[u["id"], u.get("email", ""), u.get("preferred_username", ""), u.get("external_id", ""),
          u["migration_state"], "yes" if u["disabled"] else ""] for u in page],
        keep_whole={"id", "email"},
    )
    if nxt:
        typer.echo(f"more: --cursor {nxt}")


@app.command()
def get(user_id: str) -> None:
    """Print one user as a record."""
    uid = _uuid(user_id)
    print_json(run(in_transaction(lambda s, c: svc.get_user(c, uid))))


@app.command()
def create(
    file: Path | None = typer.Option(None, "--file", "-f", help="A JSON user record ('-' or absent: standard input)."),
    email: str | None = typer.Option(None, help="Shortcut for a record with this email."),
    username: str | None = typer.Option(None, "--username"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read a new plain-text password from standard input."),
) -> None:
    """Create a user from a record (the import format) or from --email/--username."""
    body: dict[str, Any]
    if email or username:
        body = {k: v for k, v in (("email", email), ("preferred_username", username)) if v}
        if password_stdin:
            body["password"] = sys.stdin.readline().rstrip("\n")
    else:
        text = sys.stdin.read() if file in (None, Path("-")) else file.read_text()  # type: ignore[union-attr]
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            fail(f"the record is not valid JSON: {exc}", 2)
    try:
        rec = record_to_json(parse_record(body, allow_plaintext_password=True).record)
    except RecordError as exc:
        fail("the user record is not valid" + "".join(f"\n  {i}" for i in exc.issues), 2)

    async def go(state: Any, conn: Any) -> dict[str, Any]:
        uid = await svc.create_user(conn, rec, ctx=state.accounts)
        return await svc.get_user(conn, uid)

    print_json(run(in_transaction(go)))


@app.command()
def disable(user_id: str, reason: str | None = typer.Option(None, help="Why (kept with the user).")) -> None:
    """Disable a user: they can no longer sign in."""
    uid = _uuid(user_id)
    print_json(run(in_transaction(lambda s, c: svc.set_disabled(c, uid, True, reason))))


@app.command()
def enable(user_id: str) -> None:
    """Enable a disabled user."""
    uid = _uuid(user_id)
    print_json(run(in_transaction(lambda s, c: svc.set_disabled(c, uid, False))))


@app.command()
def delete(user_id: str, yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")) -> None:
    """Delete a user and everything attached to them."""
    uid = _uuid(user_id)
    if not yes and not typer.confirm(f"Delete user {uid}?"):
        raise typer.Exit(1)
    run(in_transaction(lambda s, c: svc.delete_user(c, uid)))
    typer.echo(f"deleted {uid}")


@app.command("grant-console")
def grant_console(email: str) -> None:
    """Let the user who signs in with EMAIL into the migration console (/console)."""
    from authshift.audit import record_audit
    from authshift.console.operators import grant_console as grant

    async def go(state: Any, conn: Any) -> tuple[uuid.UUID, bool]:
        user_id, changed = await grant(conn, email, granted_by="cli")
        if changed:
            await record_audit(conn, actor="cli", action="console.granted", target=str(user_id))
        return user_id, changed

    user_id, changed = run(in_transaction(go))
    typer.echo(f"{email} ({user_id}) {'may now' if changed else 'could already'} use the console")


@app.command("revoke-console")
def revoke_console(email: str) -> None:
    """Take the console away from the user who signs in with EMAIL; their console sessions end now."""
    from authshift.audit import record_audit
    from authshift.console.operators import revoke_console as revoke

    async def go(state: Any, conn: Any) -> tuple[uuid.UUID, bool]:
        user_id, changed = await revoke(conn, email)
        if changed:
            await record_audit(conn, actor="cli", action="console.revoked", target=str(user_id))
        return user_id, changed

    user_id, changed = run(in_transaction(go))
    typer.echo(f"{email} ({user_id}) {'may no longer' if changed else 'could not'} use the console")
