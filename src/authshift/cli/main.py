"""The ``authshift`` command. Each command group lives in its own module and is mounted here.

Command modules are imported only when their command runs (or its own ``--help`` is asked for):
``authshift --help``, ``--version`` and ``authshift hashes ...`` must start without importing the
web application or the database layer (FastAPI, SQLAlchemy, the app's state), which cost several
CPU-seconds per command. ``tests/foundation/test_cli_startup.py`` holds that rule.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup

from authshift import __version__


class Lazy(NamedTuple):
    """A command mounted by name: ``module:attribute`` is a Typer app (a group) or a function."""

    target: str
    help: str


# The order is the order of `authshift --help`.
COMMANDS: dict[str, Lazy] = {
    "serve": Lazy("authshift.cli.serve:serve", "Run authshift: OIDC provider, hosted login and admin API."),
    "db": Lazy("authshift.cli.db:app", "Manage the database schema (the only command that changes it)."),
    "admin-keys": Lazy("authshift.cli.admin_keys:app", "Create, list and revoke admin API keys."),
    "users": Lazy("authshift.cli.users:app", "List, inspect, create, disable and delete users."),
    "hashes": Lazy("authshift.cli.hashes:app", "Check stored password hashes before importing them."),
    "clients": Lazy("authshift.cli.clients:app", "Register, list and delete OAuth/OpenID Connect clients."),
    "keys": Lazy("authshift.cli.keys:app", "Rotate and list token signing keys; make age key pairs for exports."),
    "export": Lazy("authshift.cli.exports:export", "Export users in the format `authshift import` reads (or Auth0's)."),
    "import": Lazy("authshift.cli.imports:import_", "Import users from a file, reporting every record's outcome."),
    "imports": Lazy("authshift.cli.import_jobs:app", "List, show, cancel and undo import jobs."),
    "exports": Lazy("authshift.cli.export_jobs:app", "List and show export jobs (queued through the API or console)."),
    "migration": Lazy("authshift.cli.migration:app", "How far the migration has come: sign-in readiness."),
}


_PLAIN_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "FileText": "FILE", "FileBinaryRead": "FILE",
                "Path": "PATH", "file": "FILE", "dir": "DIRECTORY", "path": "PATH", "UUID": "UUID"}


def _plain_type(shown: str | None, is_flag: bool) -> str | None:
    """Help shows ``TEXT``, ``INTEGER``, ``FILE``; never Python types (``<bool>``, ``<list[str]>``)."""
    if shown is None or is_flag:
        return None
    label = shown.strip("<>").removesuffix("...")
    if label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]
    label = label.split(" ")[0]  # "int range"
    return _PLAIN_TYPES.get(label, label.upper())


def _plain(param: Any) -> Any:
    if not getattr(param, "_plain_types", False):
        original = param.display_type_rich
        is_flag = bool(getattr(param, "is_flag", False) or getattr(param, "count", False))
        param.display_type_rich = lambda ctx: _plain_type(original(ctx), is_flag)
        param._plain_types = True
    return param


def plain_help_types(command: Any) -> Any:
    """Give every parameter of ``command`` (and of its subcommands) a plain type name in help,
    ``--help`` and the completion options included (click adds them when help is asked for)."""
    get_params = command.get_params
    command.get_params = lambda ctx: [_plain(p) for p in get_params(ctx)]
    for sub in getattr(command, "commands", {}).values():
        plain_help_types(sub)
    return command


def load_command(name: str) -> Any:
    """The click command of ``name``, importing its module now."""
    entry = COMMANDS[name]
    module_name, attribute = entry.target.split(":")
    target = getattr(importlib.import_module(module_name), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return plain_help_types(command)


class _Placeholder(TyperCommand):
    """What ``authshift --help`` lists: a name and a line of help, no import."""


class LazyGroup(TyperGroup):
    """The root group: its commands are placeholders until one is resolved to run."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        plain_help_types(self)
        for name, entry in COMMANDS.items():
            self.commands.setdefault(name, _Placeholder(name=name, help=entry.help))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, _Placeholder) and name is not None:
            command = self.commands[name] = load_command(name)
        return name, command, rest


app = typer.Typer(
    name="authshift",
    cls=LazyGroup,
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
    config: Path | None = typer.Option(
        None, "--config", envvar="AUTHSHIFT_CONFIG", metavar="FILE", help="A TOML configuration file."
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    from authshift.cli.context import set_config_file

    set_config_file(config)


def main() -> None:
    app()
