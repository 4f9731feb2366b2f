"""``authshift admin-keys``: keys for the admin API."""

from __future__ import annotations

import typer

from authshift.cli.context import fail, in_transaction, print_json, run
from authshift.cli.tables import print_table

app = typer.Typer(help="Create, list and revoke admin API keys.", no_args_is_help=True)


@app.command()
def create(
    name: str = typer.Option("admin", "--name", help="A label to recognise the key by."),
    allow_secrets: bool = typer.Option(False, "--allow-secrets", help="Allow exports that include password hashes and MFA secrets."),
) -> None:
    """Create a key and print it once (only its digest is stored)."""
    from authshift.security.admin_keys import create_admin_key

    new = run(in_transaction(lambda s, c: create_admin_key(c, name, allow_secrets=allow_secrets)))
    print_json({"id": new.key.id, "name": new.key.name, "scopes": list(new.key.scopes), "key": new.plaintext})
    typer.echo("Store this key now: it cannot be shown again.", err=True)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List keys (ids, names, scopes, when created, last used and revoked); never the keys themselves."""
    from authshift.security.admin_keys import list_admin_keys

    found = run(in_transaction(lambda s, c: list_admin_keys(c)))
    if as_json:
        print_json({"admin_keys": found})
        return

    def when(value: object) -> str:
        return value.isoformat(timespec="seconds") if value is not None else ""  # type: ignore[attr-defined]

    print_table(
        ["id", "name", "scopes", "created", "last used", "revoked"],
        [[k["id"], k["name"], " ".join(k["scopes"]), when(k["created_at"]), when(k["last_used_at"]), when(k["revoked_at"])]
         for k in found],
        keep_whole={"id"},
    )


@app.command()
def revoke(key_id: str = typer.Argument(..., metavar="KEY_ID", help="The key id (the part after ask_ and before the next _).")) -> None:
    """Revoke a key; requests with it are refused from now on."""
    from authshift.security.admin_keys import revoke_admin_key

    if not run(in_transaction(lambda s, c: revoke_admin_key(c, key_id))):
        fail(f"no active admin key with id {key_id!r} (`authshift admin-keys list` shows the keys)")
    typer.echo(f"revoked {key_id}")
