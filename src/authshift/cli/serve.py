"""``authshift serve``: run the server (schema brought up to date first)."""

from __future__ import annotations

import typer
import uvicorn

from authshift.app import create_app
from authshift.cli.context import settings
from authshift.storage import migrate


def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default 127.0.0.1, or AUTHSHIFT_HOST)."),
    port: int | None = typer.Option(None, help="Port to listen on (default 8000, or AUTHSHIFT_PORT)."),
) -> None:
    """Run authshift: OIDC provider, hosted login and admin API."""
    cfg = settings(host=host, port=port)
    migrate.upgrade(cfg.database_url)
    app = create_app(cfg)
    typer.echo(f"authshift listening on http://{cfg.host}:{cfg.port} (issuer {cfg.public_issuer})", err=True)
    uvicorn.run(app, host=cfg.host, port=cfg.port, log_level="warning", proxy_headers=True)
