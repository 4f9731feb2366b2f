"""Where an authshift instance lives, and the rule that only ``serve`` and ``db upgrade`` make one.

An instance is a database (for SQLite, a file) and the instance secrets (the secrets file, unless
both secrets are given in the environment). ``AUTHSHIFT_HOME`` names its folder; unset, the current
directory. Any other command run where there is no instance says so, naming where it looked, and
writes nothing: before this rule, ``authshift users list`` in the wrong directory silently created
an empty database and a new encryption key there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from authshift.config import Settings


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def where(cfg: Settings) -> str:
    """The folder an instance is looked for in, and why there."""
    if cfg.home is not None:
        return f"{cfg.home.absolute()} (AUTHSHIFT_HOME)"
    return f"{Path.cwd()} (the current directory; AUTHSHIFT_HOME is not set)"


def missing_parts(cfg: Settings) -> list[str]:
    """What of the instance is not there, each naming the path it was looked for at."""
    missing = []
    db_file = sqlite_file(cfg.database_url)
    if db_file is not None and not db_file.exists():
        missing.append(f"no database at {db_file.absolute()}")
    if not (cfg.secret_key and cfg.encryption_key) and not cfg.secrets_file.exists():
        missing.append(f"no secrets file at {cfg.secrets_file.absolute()}")
    return missing


def no_instance_message(cfg: Settings) -> str | None:
    missing = missing_parts(cfg)
    if not missing:
        return None
    return (f"no authshift instance in {where(cfg)}: {'; '.join(missing)}. Nothing was written. Create one "
            "with `authshift db upgrade` (or `authshift serve`), or set AUTHSHIFT_HOME to the instance's folder")
