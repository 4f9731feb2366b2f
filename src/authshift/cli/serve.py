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
    # Forwarded headers are believed only from trusted_proxies (none by default, whatever
    # uvicorn's own default or FORWARDED_ALLOW_IPS say); no "server" banner.
    uvicorn.run(app, host=cfg.host, port=cfg.port, log_level="warning", proxy_headers=bool(cfg.trusted_proxies),
                forwarded_allow_ips=",".join(cfg.trusted_proxies) or None, server_header=False)
