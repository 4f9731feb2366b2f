"""How a batch of prepared records travels from an import's reader process to its writer.

Pickling ``Candidate`` objects one by one cost more CPU than preparing them (about 25 us per
record to pickle and 13 us to unpickle, measured): the writer, which is the import's bottleneck,
spent its time rebuilding objects it mostly never looks at. A batch now travels as plain
tuples: each record's JSON and password travel pickled on their own and are decoded by the
writer only when it needs them (``Candidate.rec``); ids travel as their 16 bytes; new users'
rows prebuilt by the reader travel as value tuples with the index of their table and columns.
"""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Sequence
from typing import Any

from authshift.migration.imports.plan import Candidate

__all__ = ["pack", "unpack"]

_ID = "id"  # the key kind whose value is a uuid.UUID (travels as its 16 bytes)


def _key_out(key: tuple[str, Any]) -> tuple[str, Any]:
    return (_ID, key[1].bytes) if key[0] == _ID else key


def _key_in(key: tuple[str, Any]) -> tuple[str, Any]:
    return (_ID, uuid.UUID(bytes=key[1])) if key[0] == _ID else key


def _prebuilt_out(cand: Candidate, groups: dict[tuple[str, tuple[str, ...]], int]) -> tuple[Any, ...] | None:
    if cand.prebuilt is None:
        return None
    return tuple((groups.setdefault((table, columns), len(groups)), values) for table, columns, values in cand.prebuilt)


def _one(cand: Candidate, groups: dict[tuple[str, tuple[str, ...]], int]) -> tuple[Any, ...]:
    rec = cand.rec
    password = cand.stored_password
    keys = [_key_out(k) for k in cand.keys]
    match = cand.keys.index(cand.match) if cand.match is not None else -1
    return (cand.seq, cand.line, cand.raw, None if rec is None else pickle.dumps(rec, protocol=pickle.HIGHEST_PROTOCOL),
            None if password is None else (password.format, password.value), keys, match, cand.errors,
            cand.warnings, None if cand.new_id is None else cand.new_id.bytes, _prebuilt_out(cand, groups))


def pack(batch: Sequence[Candidate]) -> bytes:
    """One batch as bytes (sent to the writer process)."""
    groups: dict[tuple[str, tuple[str, ...]], int] = {}
    items = [_one(c, groups) for c in batch]
    return pickle.dumps((list(groups), items), protocol=pickle.HIGHEST_PROTOCOL)


def unpack(data: bytes) -> list[Candidate]:
    """The batch ``pack`` sent."""
    groups, items = pickle.loads(data)  # noqa: S301 - from our own reader process
    out = []
    for seq, line, raw, rec, password, keys, match, errors, warnings, new_id, rows in items:
        cand = Candidate(seq, line, raw)
        cand._rec_wire = rec
        cand._password_wire = password
        cand.keys = [_key_in(k) for k in keys] if any(k[0] == _ID for k in keys) else keys
        cand.match = cand.keys[match] if match >= 0 else None
        cand.errors, cand.warnings = errors, warnings
        if new_id is not None:
            cand.new_id = uuid.UUID(bytes=new_id)
        if rows is not None:
            cand.prebuilt = tuple((*groups[group], values) for group, values in rows)
        out.append(cand)
    return out
