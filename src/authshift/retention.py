"""Housekeeping (``jobs.schedule``, listed in ``app.HOUSEKEEPING``): delete finished work that
``[retention]`` no longer keeps, every hour.

One round, in this order (so events whose deliveries go in this round can go too):
finished webhook/write-back deliveries (``events.retention``), dispatched events no delivery
refers to, completed exports' files (``migration.exports.jobs``), uploaded import files no job
needs any more (``migration.imports.uploads``: this round at start-up removes a dead upload), then finished mail
(``mail.retention``). A setting of 0 days keeps that kind forever. Undispatched events, pending or
in-flight deliveries, unfinished exports, mail still to send and the audit log are never touched.
Each kind is deleted in batches, each in its own short transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from authshift.events.retention import prune_deliveries, prune_events
from authshift.logs import get_logger
from authshift.mail.retention import prune_mail
from authshift.migration.exports.jobs import expire_export_files, exports_dir
from authshift.migration.imports.runner import uploads_dir
from authshift.migration.imports.uploads import sweep_uploads
from authshift.storage.pruning import BATCH_SIZE
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from authshift.accounts.services import AccountServices

PRUNE_EVERY_SECONDS = 3600.0
log = get_logger("authshift.retention")


async def apply_retention(state: AccountServices, *, batch_size: int = BATCH_SIZE, now: datetime | None = None) -> None:
    keep = state.settings.retention
    now = now or utcnow()
    counts: dict[str, int] = {}
    if keep.deliveries_days:
        counts["deliveries"] = await prune_deliveries(
            state.engine, finished_before=now - timedelta(days=keep.deliveries_days), batch_size=batch_size)
    if keep.events_days:
        counts["events"] = await prune_events(
            state.engine, occurred_before=now - timedelta(days=keep.events_days), batch_size=batch_size)
    if keep.export_files_days:
        counts["export_jobs"] = await expire_export_files(
            state.engine, exports_dir(state), finished_before=now - timedelta(days=keep.export_files_days),
            batch_size=batch_size)
    counts["import_uploads"] = await sweep_uploads(
        state.engine, uploads_dir(state), keep_finished=state.settings.imports.keep_uploads)
    if keep.mail_days:
        counts["mail"] = await prune_mail(
            state.engine, finished_before=now - timedelta(days=keep.mail_days), batch_size=batch_size)
    if any(counts.values()):
        log.info("deleted what retention no longer keeps", **counts)

