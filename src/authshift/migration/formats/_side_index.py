"""A side file of an import (Auth0's password hashes, FusionAuth's passkeys) indexed on disk.

Joining a side file to millions of users must keep memory flat, so the readers index it in an
SQLite database in a temporary file. ``SideIndex`` opens it and removes it when the reader
finishes (``close``), and at the latest when the index object is collected.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import weakref

__all__ = ["SideIndex"]


class SideIndex:
    """``self.db``: an SQLite connection on a fresh temporary file, named after ``prefix``."""

    def __init__(self, prefix: str) -> None:
        handle, self._db_path = tempfile.mkstemp(prefix=prefix, suffix=".sqlite")
        os.close(handle)
        self.db = sqlite3.connect(self._db_path)
        self._cleanup = weakref.finalize(self, _remove, self.db, self._db_path)

    def close(self) -> None:
        self._cleanup()


def _remove(db: sqlite3.Connection, path: str) -> None:
    db.close()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
