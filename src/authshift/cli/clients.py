"""``authshift clients``: register, list and delete OAuth clients (the admin API's service)."""

from __future__ import annotations

import typer

from authshift.cli.context import in_transaction, print_json, run
from authshift.cli.tables import print_table
from authshift.oidc import clients as svc

app = typer.Typer(help="Register, list and delete OAuth/OpenID Connect clients.", no_args_is_help=True)


@app.command()
def create(
    name: str = typer.Option(..., "--name", help="Shown to people on the sign-in page."),
    redirect_uri: list[str] = typer.Option([], "--redirect-uri", help="A redirect URI, matched exactly (repeat for more)."),
    public: bool = typer.Option(False, "--public", help="A public client (SPA, mobile app): no secret, PKCE required."),
    grant_type: list[str] = typer.Option(
        [], "--grant-type",
        help="authorization_code, refresh_token, client_credentials or token-exchange (repeat; default: the first two).",
    ),
    post_logout_redirect_uri: list[str] = typer.Option([], "--post-logout-redirect-uri", help="Where logout may return to (repeat)."),
    scope: list[str] = typer.Option([], "--scope", help="Scopes the client may ask for (repeat; default: the OpenID scopes)."),
) -> None:
    """Register a client and print it as JSON, with its secret for a confidential client (shown once)."""
    spec = svc.ClientSpec(
        name=name, redirect_uris=redirect_uri, public=public, grant_types=grant_type,
        post_logout_redirect_uris=post_logout_redirect_uri, scopes=scope,
    )
    client, secret = run(in_transaction(lambda s, c: svc.create_client(c, spec)))
    out = client.as_dict()
    if secret is not None:
        out["client_secret"] = secret
        typer.echo("Store the client secret now: it cannot be shown again.", err=True)
    print_json(out)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List registered clients."""
    found = run(in_transaction(lambda s, c: svc.list_clients(c)))
    if as_json:
        print_json({"clients": [c.as_dict() for c in found]})
        return
    print_table(
        ["client_id", "name", "type", "grant types", "redirect URIs"],
        [[c.client_id, c.name, "public" if c.public else "confidential", " ".join(c.grant_types), " ".join(c.redirect_uris)]
         for c in found],
        keep_whole={"client_id"},
    )


@app.command()
def delete(client_id: str, yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")) -> None:
    """Delete a client; its codes, grants and refresh tokens go with it."""
    if not yes and not typer.confirm(f"Delete client {client_id}?"):
        raise typer.Exit(1)
    run(in_transaction(lambda s, c: svc.delete_client(c, client_id)))
    typer.echo(f"deleted {client_id}")
