"""``authshift keys``: the signing keys of ID and access tokens."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.cli.age_keys import age_decrypt, age_generate
from authshift.cli.context import fail, in_transaction, print_json, run
from authshift.oidc.keys import SUPPORTED_ALGS, key_box, list_keys, rotate_key
from authshift.state import AppState

app = typer.Typer(help="Rotate and list token signing keys; make age key pairs for exports.", no_args_is_help=True)
app.command("age-generate")(age_generate)
app.command("age-decrypt")(age_decrypt)


@app.command()
def rotate(alg: str | None = typer.Option(None, "--alg", help=f"{' or '.join(SUPPORTED_ALGS)} (default: oidc.signing_alg).")) -> None:
    """Make a new signing key; the old public key stays published until its tokens have expired."""
    if alg is not None and alg not in SUPPORTED_ALGS:
        fail(f"--alg must be one of {', '.join(SUPPORTED_ALGS)}", 2)

    async def go(state: AppState, conn: AsyncConnection) -> tuple[str, list[dict[str, Any]]]:
        kid = await rotate_key(conn, key_box(state.secrets.encryption_key), state.settings.oidc, alg)
        return kid, await list_keys(conn)

    kid, keys = run(in_transaction(go))
    print_json({"kid": kid, "keys": keys})


@app.command("list")
def list_() -> None:
    """List keys: signing, published (retired, still verifying) or unpublished."""
    print_json({"keys": run(in_transaction(lambda s, c: list_keys(c)))})
