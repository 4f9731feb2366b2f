"""``authshift db``: schema management (the only command, with ``serve``, that changes a schema)."""

from __future__ import annotations

import typer

from authshift.cli.context import settings

app = typer.Typer(help="Manage the database schema (the only command that changes it).", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Create the instance if there is none, and bring its schema up to date (every pending migration)."""
    from authshift.cli.setup import prepare_instance
    from authshift.storage.migrate import schema_heads

    cfg = settings()
    prepare_instance(cfg)
    typer.echo(f"database schema is up to date (revision {', '.join(schema_heads(cfg.database_url))})")
