"""What a dry run would have written, so it classifies later batches exactly like a real run.

A real import asks the database who owns a key, and the database already holds the users that
earlier batches inserted. A dry run writes no users, so it keeps the keys its earlier batches
would have written (and released) in a scratch SQLite file of its own: memory stays flat
whatever the size of the file, and the users database is only read.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from authshift.accounts.unique_keys import Key
from authshift.migration.imports.plan import Effects

__all__ = ["ScratchLedger"]

_CHUNK = 900  # stays under SQLite's smallest limit on bound parameters


def _text(key: Key) -> str:
    kind, value = key
    if kind in ("identity", "external_id"):  # (provider, subject), (source, external_id)
        return f"{kind}\x1f{value[0]}\x1f{value[1]}"
    return f"{kind}\x1f{value}"


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


class ScratchLedger:
    """Keys claimed or released, and users touched, by the batches of one dry run."""

    def __init__(self, directory: Path | None = None) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="authshift-dry-run-", dir=directory))
        self._db = sqlite3.connect(self._dir / "ledger.db", check_same_thread=False, isolation_level=None)
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE keys (k TEXT PRIMARY KEY, owner TEXT) WITHOUT ROWID;"
            "CREATE TABLE touched (user_id TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;"
        )

    def overlay(self, keys: Iterable[Key], owners: Mapping[Key, uuid.UUID]) -> dict[Key, uuid.UUID]:
        """``owners`` (from the database) as they would be after the earlier batches of this run."""
        merged = dict(owners)
        by_text = {_text(k): k for k in keys}
        for chunk in _chunks(list(by_text)):
            marks = ",".join("?" * len(chunk))
            for text, owner in self._db.execute(f"SELECT k, owner FROM keys WHERE k IN ({marks})", chunk):  # noqa: S608
                key = by_text[text]
                if owner is None:
                    merged.pop(key, None)
                else:
                    merged[key] = uuid.UUID(owner)
        return merged

    def touched(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
        found: dict[uuid.UUID, int] = {}
        for chunk in _chunks([str(u) for u in set(user_ids)]):
            marks = ",".join("?" * len(chunk))
            for user_id, line in self._db.execute(f"SELECT user_id, line FROM touched WHERE user_id IN ({marks})", chunk):  # noqa: S608
                found[uuid.UUID(user_id)] = line
        return found

    def record(self, effects: Effects) -> None:
        """Remember what a batch would have written."""
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT OR REPLACE INTO keys (k, owner) VALUES (?, ?)",
            [(_text(k), None if owner is None else str(owner)) for k, owner in effects.owners.items()],
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO touched (user_id, line) VALUES (?, ?)",
            [(str(user_id), line) for user_id, line in effects.touched.items()],
        )
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()
        shutil.rmtree(self._dir, ignore_errors=True)
