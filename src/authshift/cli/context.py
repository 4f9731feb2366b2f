"""Shared plumbing for commands: loading settings once, running a service with a database."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.config import ConfigFileError, Settings, load_settings
from authshift.errors import AuthshiftError
from authshift.state import AppState, build_state

T = TypeVar("T")

_config_file: Path | None = None
EXIT_USAGE = 2


def set_config_file(path: Path | None) -> None:
    global _config_file
    _config_file = path


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings(**overrides: Any) -> Settings:
    try:
        return load_settings(_config_file, **overrides)
    except ConfigFileError as exc:
        fail(str(exc), EXIT_USAGE)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(f"the configuration is not valid: {problems}", EXIT_USAGE)


def run(fn: Callable[[AppState], Awaitable[T]], **overrides: Any) -> T:
    """Run ``fn`` with a process state (engine, secrets), reporting domain errors cleanly."""
    from authshift.storage.migrate import upgrade

    cfg = settings(**overrides)
    upgrade(cfg.database_url)

    async def main() -> T:
        state = build_state(cfg)
        try:
            return await fn(state)
        finally:
            await state.close()

    try:
        return asyncio.run(main())
    except AuthshiftError as exc:
        details = "".join(f"\n  {e.path}: {e.message}" for e in exc.errors)
        fail(f"{exc.detail}{details}")


def in_transaction(fn: Callable[[AppState, AsyncConnection], Awaitable[T]]) -> Callable[[AppState], Awaitable[T]]:
    async def wrapped(state: AppState) -> T:
        async with state.engine.begin() as conn:
            return await fn(state, conn)

    return wrapped


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
