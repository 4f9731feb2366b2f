"""Bulk export: every user (or those the filters select) in the format import reads.

One code path for the CLI and the admin API's export jobs: ``export_users`` reads users inside one
read-only snapshot (``accounts.users.snapshot``) and hands bytes to an ``ExportOutput`` (a file
renamed into place on success, standard output, optionally age-encrypted). Memory stays flat
whatever the number of users. Two ways to get the bytes:

- NDJSON of whole records (no ``fields``), the common case and the one that must be fast: the
  database composes every line (``accounts.record_stream``, the SQL twin of ``assemble_record``)
  and Python only writes the bytes — several times faster than building records.
- Everything else (``fields``, csv, auth0): records in batches (``read_record_batches``, built by
  ``assemble_record``), turned into bytes by the format's writer. Every export is written to the audit log (who, which filters,
how many users, which format, whether secrets were included and whether the file is encrypted;
never a secret).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from authshift.accounts.context import AccountsContext
from authshift.accounts.record_stream import stream_record_lines
from authshift.accounts.users import count_withheld, filter_conditions, read_record_batches, snapshot
from authshift.audit import record_audit
from authshift.migration.exports.options import ExportOptions
from authshift.migration.exports.output import ExportOutput
from authshift.migration.exports.writers import dumps, writer_for
from authshift.storage.tables import users

__all__ = ["AUDIT_ACTION", "DEFAULT_BATCH_SIZE", "ExportSummary", "Progress", "composed_by_database", "export_users"]

AUDIT_ACTION = "users.export"
DEFAULT_BATCH_SIZE = 5000
Progress = Callable[[int, int], None]  # (users done, users in total)
T = TypeVar("T")


@dataclass
class ExportSummary:
    users: int = 0  # users read
    written: int = 0  # users in the file (the auth0 format skips users Auth0 cannot take)
    bytes: int = 0  # bytes of the export before encryption
    withheld: dict[str, int] = field(default_factory=dict)  # secret -> users it was left out for
    issues: int = 0  # users with something that could not be written (auth0 format)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "users": self.users, "written": self.written, "bytes": self.bytes, "withheld": dict(self.withheld),
            "issues": self.issues, "seconds": round(self.seconds, 3),
        }


async def _prefetched(source: AsyncIterator[T]) -> AsyncIterator[T]:
    """Ask for the next item before handing out the current one, so reading the next batch from
    the database overlaps writing this one."""
    pending = asyncio.ensure_future(anext(source))
    while True:
        try:
            item = await pending
        except StopAsyncIteration:
            return
        pending = asyncio.ensure_future(anext(source))
        try:
            yield item
        except BaseException:
            pending.cancel()
            raise


@contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """An export allocates millions of short-lived dicts that are never cyclic garbage; with the
    default thresholds the collector runs every 700 allocations and costs half the time."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 50_000), max(before[1], 20), max(before[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*before)


def composed_by_database(options: ExportOptions) -> bool:
    """Whether the database writes the lines (NDJSON of whole records); the other formats and
    ``fields`` go through records built in Python."""
    return options.format == "ndjson" and options.fields is None


async def _count(conn: Any, where: list[Any]) -> int:
    return int((await conn.execute(sa.select(sa.func.count()).select_from(users).where(*where))).scalar_one())


async def export_users(
    engine: AsyncEngine,
    options: ExportOptions,
    output: ExportOutput,
    *,
    ctx: AccountsContext,
    actor: str,
    report: ExportOutput | None = None,
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ExportSummary:
    """Write the export to ``output`` (committed on success, aborted on failure) and audit it.

    ``report`` receives one NDJSON line per user something of could not be written (auth0 format).
    ``batch_size`` is the number of users per batch when records are built in Python.
    """
    summary = ExportSummary()
    writer = writer_for(options.format, options.fields)
    started = time.perf_counter()

    async def emit(data: bytes) -> None:
        if data:
            summary.bytes += len(data)
            await asyncio.to_thread(output.write, data)

    def finish() -> None:
        summary.written = summary.users - getattr(writer, "skipped", 0)
        summary.seconds = time.perf_counter() - started

    async def write_lines(conn: Any, where: list[Any], total: int) -> None:
        lines = stream_record_lines(conn, where=where, include_secrets=options.include_secrets, ctx=ctx)
        async with aclosing(lines):
            async for block in lines:
                await emit(block.data)
                summary.users += block.users
                if progress:
                    progress(summary.users, total)

    async def write_records(conn: Any, where: list[Any], total: int) -> None:
        await emit(writer.begin())
        batches = read_record_batches(
            conn, where=where, include_secrets=options.include_secrets, ctx=ctx, batch_size=batch_size
        )
        async for records in _prefetched(batches):
            await emit(writer.write(records))
            summary.users += len(records)
            issues = writer.take_issues()
            if issues:
                summary.issues += len(issues)
                if report is not None:
                    await asyncio.to_thread(report.write, b"".join(dumps(i) + b"\n" for i in issues))
            if progress:
                progress(summary.users, total)

    async def write_all() -> None:
        async with snapshot(engine) as conn:
            where = filter_conditions(options.filters, dialect=conn.dialect.name)
            total = await _count(conn, where)
            withheld = await count_withheld(conn, where=where, include_secrets=options.include_secrets)
            summary.withheld = dict(withheld)
            if progress:
                progress(0, total)
            if composed_by_database(options):
                await write_lines(conn, where, total)
            else:
                await write_records(conn, where, total)

    try:
        with _fewer_gc_passes():
            await write_all()
        await emit(writer.end())
        finish()
        # Audited before the file appears: an export that cannot be audited is not handed out.
        await _audit(engine, options, summary, actor=actor, status="completed")
        await asyncio.to_thread(output.commit)
        if report is not None:
            await asyncio.to_thread(report.commit)
    except BaseException:
        await asyncio.to_thread(output.abort)
        if report is not None:
            await asyncio.to_thread(report.abort)
        finish()
        try:
            await _audit(engine, options, summary, actor=actor, status="failed")
        except Exception:  # noqa: BLE001 - the original error is the one to report
            pass
        raise
    return summary


async def _audit(engine: AsyncEngine, options: ExportOptions, summary: ExportSummary, *, actor: str, status: str) -> None:
    details = {
        "status": status, "format": options.format, "filters": options.filters_as_dict(),
        "fields": list(options.fields) if options.fields is not None else None,
        "include_secrets": options.include_secrets, "encrypted": options.encrypted,
        "users": summary.users, "written": summary.written,
    }
    async with engine.begin() as conn:
        await record_audit(conn, actor=actor, action=AUDIT_ACTION, details=details)
