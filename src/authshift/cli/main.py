"""The ``authshift`` command. Each command group lives in its own module and is mounted here."""

from __future__ import annotations

from pathlib import Path

import typer

from authshift import __version__
from authshift.cli import admin_keys, clients, db, exports, hashes, import_jobs, imports, keys, migration, users
from authshift.cli.context import set_config_file
from authshift.cli.serve import serve

app = typer.Typer(
    name="authshift",
    help="authshift: an OpenID Connect provider for moving users off another authentication system.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    config: Path | None = typer.Option(None, "--config", envvar="AUTHSHIFT_CONFIG", help="A TOML configuration file."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    set_config_file(config)


app.command()(serve)
app.add_typer(db.app, name="db")
app.add_typer(admin_keys.app, name="admin-keys")
app.add_typer(users.app, name="users")
app.add_typer(hashes.app, name="hashes")
app.add_typer(clients.app, name="clients")
app.add_typer(keys.app, name="keys")
app.command("export")(exports.export)
app.command("import")(imports.import_)
app.add_typer(import_jobs.app, name="imports")
app.add_typer(migration.app, name="migration")


def main() -> None:
    app()
