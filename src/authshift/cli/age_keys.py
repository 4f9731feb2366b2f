"""``authshift keys age-generate`` / ``age-decrypt``: the age key pair an encrypted export needs.

``authshift export --encrypt-to age1...`` encrypts to a public key; these two commands make that
key pair and read such a file back, so a backup can be made and restored with authshift alone (the
files are standard age: the ``age`` tool reads them too). No instance is needed.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from authshift.cli.context import EXIT_USAGE, fail


def age_generate(
    out: Path = typer.Option(..., "--out", "-o", metavar="FILE",
                             help="Where to write the private key (created with mode 0600; an existing file is kept)."),
) -> None:
    """Make an age key pair: the private key goes to --out, the public key (age1...) to standard output."""
    from pyrage import x25519

    identity = x25519.Identity.generate()
    public = str(identity.to_public())
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"{out} exists already: it may hold the only key to earlier backups; choose another file", EXIT_USAGE)
    except OSError as exc:
        fail(f"cannot create {out}: {exc.strerror}", EXIT_USAGE)
    with os.fdopen(fd, "w") as fh:  # the layout of age-keygen's output, which `age -d -i` reads
        fh.write(f"# created: {datetime.now(UTC).isoformat(timespec='seconds')}\n# public key: {public}\n{identity}\n")
    typer.echo(public)
    typer.echo(f"private key written to {out}: keep it apart from the backups it opens", err=True)


def _identities(path: Path) -> list[object]:
    from pyrage import x25519

    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", EXIT_USAGE)
    found = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text and not text.startswith("#"):
            try:
                found.append(x25519.Identity.from_str(text))
            except Exception:  # noqa: BLE001 - pyrage raises its own error types for a malformed key
                fail(f"{path} line {number} is not an age private key (AGE-SECRET-KEY-1...)", EXIT_USAGE)
    if not found:
        fail(f"{path} holds no age private key", EXIT_USAGE)
    return found


def age_decrypt(
    file: Path = typer.Argument(..., metavar="FILE", help="An age-encrypted file (from export --encrypt-to)."),
    identity: Path = typer.Option(..., "--identity", "-i", metavar="KEYFILE", help="The private key file (from age-generate)."),
    out: str = typer.Option("-", "--out", "-o", metavar="FILE", help="Where to write the plain text ('-': standard output)."),
) -> None:
    """Decrypt a file encrypted to one of your age public keys."""
    import pyrage

    keys = _identities(identity)
    if not file.is_file():
        fail(f"{file} is not a readable file", EXIT_USAGE)
    try:
        with file.open("rb") as source:
            if out == "-":
                pyrage.decrypt_io(source, sys.stdout.buffer, keys)
                sys.stdout.buffer.flush()
            else:
                fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # a decrypted export holds personal data
                with os.fdopen(fd, "wb") as target:
                    pyrage.decrypt_io(source, target, keys)
    except pyrage.DecryptError as exc:
        fail(f"{file} cannot be decrypted with {identity}: {exc}")
