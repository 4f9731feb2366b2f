"""``authshift admin-keys``: keys for the admin API."""

from __future__ import annotations

import typer

from authshift.cli.context import in_transaction, print_json, run
from authshift.security.admin_keys import create_admin_key, revoke_admin_key

app = typer.Typer(help="Create and revoke admin API keys.", no_args_is_help=True)


@app.command()
def create(
    name: str = typer.Option("admin", "--name", help="A label to recognise the key by."),
    allow_secrets: bool = typer.Option(False, "--allow-secrets", help="Allow exports that include password hashes and MFA secrets."),
) -> None:
    """Create a key and print it once (only its digest is stored)."""
    new = run(in_transaction(lambda s, c: create_admin_key(c, name, allow_secrets=allow_secrets)))
    print_json({"id": new.key.id, "name": new.key.name, "scopes": list(new.key.scopes), "key": new.plaintext})
    typer.echo("Store this key now: it cannot be shown again.", err=True)


@app.command()
def revoke(key_id: str = typer.Argument(..., help="The key id (the part after ask_ and before the next _).")) -> None:
    """Revoke a key; requests with it are refused from now on."""
    if not run(in_transaction(lambda s, c: revoke_admin_key(c, key_id))):
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")
