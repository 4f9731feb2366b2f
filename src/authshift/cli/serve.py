"""``authshift serve``: run the server (the instance created and its schema upgraded first, saying so).

Options are checked and the listening socket is bound before anything is announced: a port out of
range is a usage error, a port in use is an error naming it, and "listening" is printed only once
the server really listens on the address it names.
"""

from __future__ import annotations

import socket

import typer

from authshift.cli.context import EXIT_USAGE, fail, settings


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a clear error (uvicorn's own bind logs and exits)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}", EXIT_USAGE)
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    sock.set_inheritable(True)
    return sock


def serve(
    host: str | None = typer.Option(None, metavar="ADDRESS", help="Address to listen on (default 127.0.0.1, or AUTHSHIFT_HOST)."),
    port: int | None = typer.Option(
        None, min=1, max=65535, metavar="PORT", help="Port to listen on, 1-65535 (default 8000, or AUTHSHIFT_PORT)."
    ),
) -> None:
    """Run authshift: OIDC provider, hosted login and admin API."""
    import uvicorn

    from authshift.app import create_app
    from authshift.cli.setup import prepare_instance

    cfg = settings(host=host, port=port)
    sock = _bind(cfg.host, cfg.port)
    prepare_instance(cfg)
    app = create_app(cfg)
    shown = f"[{cfg.host}]" if ":" in cfg.host else cfg.host

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:  # the app's start-up ran and the socket accepts connections
                typer.echo(f"authshift listening on http://{shown}:{cfg.port} (issuer {cfg.public_issuer})", err=True)

    # Forwarded headers are believed only from trusted_proxies (none by default, whatever
    # uvicorn's own default or FORWARDED_ALLOW_IPS say); no "server" banner.
    Server(uvicorn.Config(app, log_level="warning", proxy_headers=bool(cfg.trusted_proxies),
                          forwarded_allow_ips=",".join(cfg.trusted_proxies) or None, server_header=False)).run(sockets=[sock])
