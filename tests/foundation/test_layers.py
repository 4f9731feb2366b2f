"""Nothing below points up (issue #15): the layers of authshift, checked on the source's imports.

The top layer (``app.py``, ``state.py`` the composition root, ``schema.py``, ``http/``, ``cli/``,
``console/``) puts the process together; the packages below it take what they use (a Protocol
such as ``accounts.services.AccountServices`` that the process's state satisfies, an engine, a
settings section) and never import the top. Inside the lower layers: ``storage`` does not import
the domain's tables, ``config`` does not import ``events``, ``security`` does not import
``accounts``. Every import counts, ``TYPE_CHECKING`` and function-level ones included: a cycle
through type hints is still a cycle for a reader and for a module move.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import authshift

SRC = Path(authshift.__file__).parent
TOP = ("authshift.state", "authshift.app", "authshift.http", "authshift.cli", "authshift.console")
LOWER = ("accounts", "oidc", "migration", "security", "storage", "passwords", "events", "mail", "config.py",
         "audit.py", "errors.py", "ids.py", "logs.py", "outbound.py", "retention.py", "jobs", "records")
STORAGE_MAY_IMPORT = ("authshift.storage", "authshift.config", "authshift.errors", "authshift.ids", "authshift.logs")

# Modules allowed to import the top for now, with the reason. Remove a line once it is not needed.
EXCEPTIONS: dict[str, str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, wherever the import statement is (relative ones resolved)."""
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module_name(path)
    yield from imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: str) -> Iterator[str]:
    """The modules (and ``module.name`` for each name imported from one) that ``source`` imports."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def files_of(*roots: str) -> list[Path]:
    out: list[Path] = []
    for root in roots:
        target = SRC / root
        out.extend([target] if target.is_file() else sorted(target.rglob("*.py")))
    return out


def offending(paths: list[Path], forbidden: tuple[str, ...], *, allowed: tuple[str, ...] = ()) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        rel = path.relative_to(SRC).as_posix()
        if rel in EXCEPTIONS or "/alembic/versions/" in f"/{rel}":
            continue
        bad = sorted({name for name in imports_of(path)
                      if _within(name, forbidden) and not _within(name, allowed)})
        if bad:
            found[rel] = bad
    return found


def test_nothing_below_the_top_imports_the_top() -> None:
    assert offending(files_of(*LOWER), TOP) == {}


def test_storage_does_not_import_the_domain() -> None:
    """storage/ (its Alembic environment included: the caller gives it the schema's metadata)."""
    found: dict[str, list[str]] = {}
    for path in files_of("storage"):
        rel = path.relative_to(SRC).as_posix()
        if "/alembic/versions/" in f"/{rel}":
            continue  # revisions name the storage types only, checked below
        bad = sorted({n for n in imports_of(path) if n.startswith("authshift") and n != "authshift"
                      and not _within(n, STORAGE_MAY_IMPORT)})
        if bad:
            found[rel] = bad
    assert found == {}


def test_revisions_import_only_storage_types() -> None:
    for path in files_of("storage/alembic/versions"):
        names = {n for n in imports_of(path) if n.startswith("authshift")}
        assert names <= {"authshift.storage.types", "authshift.storage.types.UtcDateTime",
                         "authshift.storage.types.JSONType"}, path.name


@pytest.mark.parametrize(("lower", "upper"), [("config.py", "authshift.events"), ("security", "authshift.accounts")])
def test_lower_packages_do_not_import_higher_ones(lower: str, upper: str) -> None:
    assert offending(files_of(lower), (upper,)) == {}


def test_the_checker_sees_every_kind_of_import() -> None:
    """The rules above are only as good as ``imports_in``: type-checking, function-level and
    relative imports all count."""
    assert "authshift.accounts.services.AccountServices" in set(imports_of(SRC / "accounts" / "login.py"))
    code = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from authshift.state import AppState\n"
            "def f():\n    import authshift.cli.main\nfrom .. import app\n")
    names = set(imports_in(code, "authshift.accounts"))
    assert {"authshift.state", "authshift.cli.main", "authshift.app"} <= names


def test_every_exception_names_a_module_that_exists() -> None:
    assert [name for name in EXCEPTIONS if not (SRC / name).is_file()] == []
