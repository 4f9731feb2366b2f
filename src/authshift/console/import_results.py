"""What the Imports page reads of a job's outcomes: failures grouped by reason (with the first
lines of each), and a page of per-record results filtered by outcome and searched by line
number or login ID. Read-only queries on ``import_results`` (one row per record read)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.cli.import_report import reason_text
from authshift.migration.imports.jobs import result_json
from authshift.migration.imports.tables import OUTCOMES, import_results
from authshift.storage.tables import identities

GROUPED_FAILURES = 10_000  # failures read to group them; the report has every one
EXAMPLES = 3  # lines shown per reason
PAGE = 50


@dataclass
class FailureGroup:
    reason: str
    count: int = 0
    lines: list[int] = field(default_factory=list)


async def failure_groups(conn: AsyncConnection, job_id: uuid.UUID) -> tuple[list[FailureGroup], bool]:
    """Failed records by reason, most frequent first, each with its first lines; and whether more
    failures exist than were grouped (``GROUPED_FAILURES``)."""
    r = import_results.c
    q = (sa.select(r.line, r.reason, r.errors).where(r.job_id == job_id, r.outcome == "failed")
         .order_by(r.seq).limit(GROUPED_FAILURES + 1))
    rows = (await conn.execute(q)).all()
    groups: dict[str, FailureGroup] = {}
    for row in rows[:GROUPED_FAILURES]:
        line: int = row.line
        issues: list[Any] = row.errors or [{"path": "", "message": row.reason or "failed"}]
        for issue in issues:
            group = groups.setdefault(reason_text(issue), FailureGroup(reason_text(issue)))
            group.count += 1
            if len(group.lines) < EXAMPLES and line not in group.lines:
                group.lines.append(line)
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.lines[0] if g.lines else 0))
    return ordered, len(rows) > GROUPED_FAILURES


async def find_results(conn: AsyncConnection, job_id: uuid.UUID, *, outcome: str | None, search: str,
                       after: int = 0, limit: int = PAGE) -> list[dict[str, Any]]:
    """A page of outcomes in file order after record ``after``: ``search`` is a line number, or a
    login ID (the user it imported, or a failed record that names it)."""
    r = import_results.c
    q = sa.select(import_results).where(r.job_id == job_id, r.seq > after).order_by(r.seq).limit(limit)
    if outcome in OUTCOMES:
        q = q.where(r.outcome == outcome)
    text = search.strip()
    if text.isdigit():
        q = q.where(r.line == int(text))
    elif text:
        owners = sa.select(identities.c.user_id).where(
            sa.or_(identities.c.value == text.lower(), identities.c.raw == text))
        q = q.where(sa.or_(r.user_id.in_(owners),
                           sa.and_(r.outcome == "failed", sa.cast(r.record, sa.Text).contains(text, autoescape=True))))
    return [result_json(dict(row)) for row in (await conn.execute(q)).mappings()]
