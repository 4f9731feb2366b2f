"""Shared plumbing for commands: loading settings once, running a service with a database.

Imports of the web application and the database layer happen inside the functions: this module
is imported by every command, ``authshift --help`` included, which must start fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from authshift.config import Settings
    from authshift.state import AppState

T = TypeVar("T")

_config_file: Path | None = None
EXIT_USAGE = 2
EXIT_NO_INSTANCE = 1  # no instance where one was looked for, or its schema is not this authshift's


def set_config_file(path: Path | None) -> None:
    global _config_file
    _config_file = path


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def cli_actor() -> str:
    """Who the audit log names for a change made with the CLI: ``cli:<login name>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "cli"


def settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    from authshift.config import ConfigFileError, load_settings

    try:
        return load_settings(_config_file, **overrides)
    except ConfigFileError as exc:
        fail(str(exc), EXIT_USAGE)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(f"the configuration is not valid: {problems}", EXIT_USAGE)


def require_instance(cfg: Settings) -> None:
    """Stop (writing nothing) when there is no instance where ``cfg`` points."""
    from authshift.cli.instance import no_instance_message

    message = no_instance_message(cfg)
    if message is not None:
        fail(message, EXIT_NO_INSTANCE)


async def open_state(cfg: Settings) -> AppState:
    """The process state of an existing instance whose schema is exactly this authshift's.

    Raises ``SchemaMismatch`` (naming both revisions) otherwise: only ``authshift db upgrade``
    and ``serve`` change a schema.
    """
    from authshift.state import build_state
    from authshift.storage.migrate import check_schema

    state = build_state(cfg)
    try:
        await check_schema(state.engine, cfg.database_url)
    except BaseException:
        await state.close()
        raise
    return state


def run(fn: Callable[[AppState], Awaitable[T]], **overrides: Any) -> T:
    """Run ``fn`` with a process state (engine, secrets), reporting domain errors cleanly."""
    import asyncio

    from authshift.errors import AuthshiftError
    from authshift.storage.migrate import SchemaMismatch

    cfg = settings(**overrides)
    require_instance(cfg)

    async def main() -> T:
        state = await open_state(cfg)
        try:
            return await fn(state)
        finally:
            await state.close()

    try:
        return asyncio.run(main())
    except SchemaMismatch as exc:
        fail(str(exc), EXIT_NO_INSTANCE)
    except AuthshiftError as exc:
        details = "".join(f"\n  {e}" for e in exc.errors)
        fail(f"{exc.detail}{details}")


def in_transaction(fn: Callable[[AppState, AsyncConnection], Awaitable[T]]) -> Callable[[AppState], Awaitable[T]]:
    async def wrapped(state: AppState) -> T:
        async with state.engine.begin() as conn:
            return await fn(state, conn)

    return wrapped


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
