"""``authshift hashes``: check stored password hashes before importing them.

identify  reads hashes one per line (a self-describing string, or a JSON object for structured
          forms) from FILE or stdin, validates each (syntax and cost ceilings) and prints
          ``line N: <format>`` or ``line N: error: <reason>``. Blank lines are skipped.
          Exit status: 0 when every hash was recognised and valid, 1 otherwise.
verify    reads a password from stdin (one trailing newline is removed) and compares it with
          --hash. Exit status: 0 match, 1 no match, 2 the hash (or hash config) cannot be read,
          with the reason on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from authshift.passwords import HashConfig, PasswordFormatError, load_hash_configs, parse, verify

app = typer.Typer(help="Check stored password hashes before importing them.", no_args_is_help=True)

EXIT_MATCH, EXIT_NO_MATCH, EXIT_UNREADABLE = 0, 1, 2

HashConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--hash-config",
        help="File with project hash parameters (Firebase console block, JSON or TOML).",
        exists=True,
        dir_okay=False,
    ),
]


def _spec(text: str) -> str | dict[str, Any]:
    """A JSON object for structured forms, else the hash string itself ('{SSHA}...' stays a string)."""
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if isinstance(value, dict):
            return value
    return text


def _hash_configs(path: Path | None) -> dict[str, HashConfig] | None:
    return load_hash_configs(path) if path is not None else None


@app.command()
def identify(
    file: Annotated[
        typer.FileText | None, typer.Argument(help="File with one stored hash per line (default: stdin).")
    ] = None,
    hash_config: HashConfigOption = None,
) -> None:
    """Print the format of each stored hash, or why it cannot be used."""
    try:
        configs = _hash_configs(hash_config)
    except PasswordFormatError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    stream = file if file is not None else sys.stdin
    total = failed = 0
    for number, raw in enumerate(stream, start=1):
        line = raw.strip()
        if not line:
            continue
        total += 1
        try:
            stored = parse(_spec(line), hash_configs=configs)
        except PasswordFormatError as exc:
            failed += 1
            typer.echo(f"line {number}: error: {exc}")
        else:
            typer.echo(f"line {number}: {stored.format}")
    typer.echo(f"{total} hashes, {total - failed} usable, {failed} not", err=True)
    raise typer.Exit(1 if failed else 0)


@app.command("verify")
def verify_command(
    hash_: Annotated[
        str, typer.Option("--hash", help="The stored hash, or a JSON object for structured forms.")
    ],
    hash_config: HashConfigOption = None,
) -> None:
    """Read a password from stdin and say whether it matches --hash (exit 0 match, 1 no match, 2 unreadable)."""
    password = sys.stdin.read()
    if password.endswith("\r\n"):
        password = password[:-2]
    elif password.endswith("\n"):
        password = password[:-1]
    try:
        configs = _hash_configs(hash_config)
        stored = parse(_spec(hash_.strip()), hash_configs=configs)
        result = verify(password, stored, hash_configs=configs)
    except PasswordFormatError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    if result.ok:
        typer.echo(f"match ({stored.format})")
        raise typer.Exit(EXIT_MATCH)
    typer.echo(f"no match ({stored.format})")
    raise typer.Exit(EXIT_NO_MATCH)


if __name__ == "__main__":
    app()
