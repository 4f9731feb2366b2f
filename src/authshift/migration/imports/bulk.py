"""Bulk import jobs: read -> validate -> classify -> write in batches -> one outcome per record.

A job reads its file as a stream (``import_source.read_batches``: flat memory, one prepared
record at a time) in a worker (``import_pipeline``: a thread, or a process for large files),
ahead of the writer. For each batch: look up who owns the batch's keys (one query per key kind),
classify every record (``import_plan.classify``), take the rows of new users the reader built
and encoded already (``import_prebuild``; or build them here with ``accounts.rows.build_user_rows``)
and plan the changes of existing ones with ``accounts.updates`` (the logic of the admin PATCH); then, in ONE transaction, write them in bulk (COPY on
PostgreSQL, executemany on SQLite), write each record's outcome and move the job's resume
point. Batch N+1 is classified while batch N is being written (N's effects applied), so the
database and Python work at the same time. A crash loses at most the batch being written,
which the next run redoes.

Events: one ``import.completed`` (or ``import.failed``) per job, with the counts; no
``user.created`` per imported user, so importing a million users does not flood webhooks.

A dry run uses the same reading and classification, writes no users, and remembers what it
would have written in a scratch ledger (``import_ledger``) so later batches see it.
"""

from __future__ import annotations

import asyncio
import gc
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authshift.accounts.context import AccountsContext
from authshift.accounts.hash_config_store import job_hash_configs_kept, keep_inline_hash_configs
from authshift.accounts.passkey_rows import count_refused
from authshift.accounts.row_writer import PrebuiltRows, write_user_rows
from authshift.accounts.rows import UserRows, build_user_rows
from authshift.accounts.unique_keys import Key, find_owners
from authshift.accounts.updates import (
    IMPORT_UPDATABLE_FIELDS,
    UpdatePlan,
    apply_user_updates,
    load_current,
    plan_user_update,
)
from authshift.accounts.users import snapshot
from authshift.config import ImportSettings
from authshift.errors import AuthshiftError
from authshift.jobs.lease import LIVE_OWNERS
from authshift.logs import get_logger
from authshift.migration.formats import SourceFormatError
from authshift.migration.imports import jobs
from authshift.migration.imports.faults import crash_summary, refused_data
from authshift.migration.imports.jobs import Counts, JobLost
from authshift.migration.imports.ledger import ScratchLedger
from authshift.migration.imports.pipeline import Prefetch, ReadRequest, prefetch_batches
from authshift.migration.imports.plan import Candidate, Decision, Effects, classify
from authshift.migration.imports.source import ImportOptions, check_options, file_hash_configs
from authshift.migration.imports.tables import import_results
from authshift.migration.imports.undo import save_previous
from authshift.migration.readiness.store import Stored, judge_record, needs_record, refresh, write_new
from authshift.storage.bulk import bulk_insert
from authshift.storage.types import utcnow

__all__ = [
    "NO_RECORDS",
    "BatchDone",
    "ImportSummary",
    "OutcomesCallback",
    "dry_run_to_report",
    "run_job",
]

log = get_logger("authshift.import")
NO_RECORDS = "the file contains no records"
_RETRIES = 3


@dataclass(frozen=True)
class BatchDone:
    """Progress after a committed batch (what a progress bar shows)."""

    counts: Counts
    bytes_read: int
    bytes_total: int


ProgressCallback = Callable[[BatchDone], None]
# Called with each committed batch's decisions, in file order (a live report).
OutcomesCallback = Callable[[Sequence[Decision]], None]


@dataclass
class ImportSummary:
    job_id: uuid.UUID | None
    state: str
    counts: Counts
    dry_run: bool
    error: str | None = None


@dataclass
class _Batch:
    cands: list[Candidate]
    decisions: list[Decision]
    inserts: list[UserRows] = field(default_factory=list)
    prebuilt: list[PrebuiltRows] = field(default_factory=list)  # new users' rows the reader built
    plans: dict[uuid.UUID, UpdatePlan] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)
    judged: dict[uuid.UUID, Stored] = field(default_factory=dict)  # readiness of new users
    fresh: dict[uuid.UUID, bool] = field(default_factory=dict)  # updated users -> password replaced, family named
    refused: dict[uuid.UUID, int] = field(default_factory=dict)  # updated users -> passkeys the import left out

    def effects(self) -> Effects:
        return Effects.of(self.decisions, self.plans)


class _Recorder(Protocol):
    """Where a batch's outcomes go: the job's tables, or a dry run's scratch ledger."""

    async def touched(self, conn: AsyncConnection, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]: ...
    async def overlay(self, keys: set[Key], owners: dict[Key, uuid.UUID]) -> dict[Key, uuid.UUID]: ...
    async def commit(self, engine: AsyncEngine, batch: _Batch) -> None: ...


# --------------------------------------------------------------------------- one batch

async def _decide(engine: AsyncEngine, cands: list[Candidate], options: ImportOptions, accounts: AccountsContext,
                  recorder: _Recorder, pending: Effects | None) -> _Batch:
    """Classify a batch and build its rows, reading the database only.

    ``pending``: the effects of the previous batch, still being written.

    Its reads (one owner lookup per key kind, this job's outcomes, the users it updates) see ONE
    state of the database: at PostgreSQL's READ COMMITTED another job's batch committing between
    the email and the external_id lookups made each record's keys look owned by two different
    users (free, and someone else's): the records failed instead of being skipped. A classification
    that is merely stale is caught by the write (unique constraints) and redone.
    """
    keys = {k for c in cands for k in c.keys}
    async with snapshot(engine) as conn:
        owners = await recorder.overlay(keys, await find_owners(conn, keys))
        if pending is not None:
            owners = pending.overlay(keys, owners)
        owner_ids = list(set(owners.values()))
        touched = await recorder.touched(conn, owner_ids)
        if pending is not None:
            touched.update((u, pending.touched[u]) for u in owner_ids if u in pending.touched)
        batch = _Batch(cands, classify(cands, mode=options.mode, identifier=options.identifier, owners=owners,
                                       touched=touched))
        updates = [d.user_id for d in batch.decisions if d.action == "update" and d.user_id]
        current = await load_current(conn, updates) if updates else {}
    now = utcnow()
    for d in batch.decisions:
        if d.action is None or not d.cand.has_record or d.user_id is None:
            continue
        try:
            if d.action == "insert" and d.cand.prebuilt is not None and d.user_id is d.cand.new_id:
                batch.prebuilt.append(d.cand.prebuilt)
            elif d.action == "insert":
                batch.inserts.append(build_user_rows(
                    d.cand.rec, ctx=accounts, now=now, migration_state="imported",
                    stored_password=d.cand.stored_password, user_id=d.user_id, normalized=d.cand.login_ids(),
                ))
            else:
                plan = batch.plans[d.user_id] = plan_user_update(
                    current[d.user_id], d.cand.rec, ctx=accounts, now=now, stored_password=d.cand.stored_password,
                    fields=IMPORT_UPDATABLE_FIELDS,
                )
                for path, why in plan.ignored:  # replaces what the record alone suggested ("imported without...")
                    d.cand.warnings = [w for w in d.cand.warnings if w["path"] != path] + [{"path": path, "message": why}]
        except AuthshiftError as exc:
            d.fail([{"path": e.path, "message": e.message} for e in exc.errors] or [{"path": "", "message": exc.detail}])
        except ValueError as exc:
            d.fail([{"path": "", "message": str(exc)}])
    _judge(batch, accounts, options.hash_format)
    for d in batch.decisions:
        batch.counts.add(d.outcome)
    return batch


def _judge(batch: _Batch, accounts: AccountsContext, hash_format: str | None) -> None:
    """Each written user's sign-in readiness, by the rule sign-in keeps (``migration.readiness.rule``).

    An update is judged from its record here (what a dry run reports); a real run judges updated
    users again from the stored result (``_JobRecorder.commit``), which the record may not describe
    whole (an upsert without a password keeps the stored one)."""
    for d in batch.decisions:
        if d.action is None or d.user_id is None:
            continue
        cand = d.cand
        stored = cand.stored_password
        rec = cand.rec if d.action == "update" or cand.prebuilt is None or needs_record(stored) else None
        refused = count_refused(cand.warnings) if cand.warnings else 0
        try:
            judged = judge_record(stored, rec, accounts, hash_format=hash_format, refused_passkeys=refused)
        except ValueError:
            continue  # an unreadable second factor: building the user reported it
        if d.action == "insert":
            batch.judged[d.user_id] = judged
        else:
            if rec is not None and "password" in rec:
                batch.fresh[d.user_id] = judged.family_named
            if refused:
                batch.refused[d.user_id] = refused
        d.readiness, d.hash_family = str(judged.judgement.readiness), judged.judgement.family


async def _write_users(conn: AsyncConnection, batch: _Batch) -> None:
    await write_user_rows(conn, batch.inserts, batch.prebuilt)
    await apply_user_updates(conn, list(batch.plans.values()))


# --------------------------------------------------------------------------- recorders

class _JobRecorder:
    """A job's users, outcomes (``import_results``) and progress (``import_jobs``): one transaction per batch."""

    def __init__(self, job_id: uuid.UUID, owner: str, lease_seconds: float, dry_run: bool,
                 checkpoint_pages: int = 0, accounts: AccountsContext | None = None) -> None:
        self.job_id, self.owner, self.lease_seconds = job_id, owner, lease_seconds
        self.accounts = accounts
        self.checkpoint_pages = checkpoint_pages
        self.ledger = ScratchLedger() if dry_run else None
        self.bytes_read: Callable[[], int] = lambda: 0  # the reader's position, once it reads

    async def touched(self, conn: AsyncConnection, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if self.ledger is not None:
            return await asyncio.to_thread(self.ledger.touched, user_ids)
        return await jobs.touched_users(conn, self.job_id, user_ids)

    async def overlay(self, keys: set[Key], owners: dict[Key, uuid.UUID]) -> dict[Key, uuid.UUID]:
        if self.ledger is None:
            return owners
        return await asyncio.to_thread(self.ledger.overlay, keys, owners)

    async def commit(self, engine: AsyncEngine, batch: _Batch) -> None:
        last = batch.cands[-1]
        async with _batch_write(engine, self.checkpoint_pages) as conn:
            if self.ledger is None:
                await save_previous(conn, self.job_id, list(batch.plans.values()))
                await _write_users(conn, batch)
                await _store_readiness(conn, batch, self.accounts)
            await bulk_insert(conn, import_results, [_result_row(self.job_id, d) for d in batch.decisions])
            await jobs.commit_progress(conn, self.job_id, self.owner, self.lease_seconds, counts=batch.counts,
                                       last_index=last.seq, last_line=last.line, bytes_read=self.bytes_read())
        if self.ledger is not None:
            await asyncio.to_thread(self.ledger.record, batch.effects())

    def close(self) -> None:
        if self.ledger is not None:
            self.ledger.close()


class _LedgerRecorder:
    """A dry run without a job: nothing is written to the database (it is only read)."""

    def __init__(self) -> None:
        self.ledger = ScratchLedger()

    async def touched(self, conn: AsyncConnection, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        return await asyncio.to_thread(self.ledger.touched, user_ids)

    async def overlay(self, keys: set[Key], owners: dict[Key, uuid.UUID]) -> dict[Key, uuid.UUID]:
        return await asyncio.to_thread(self.ledger.overlay, keys, owners)

    async def commit(self, engine: AsyncEngine, batch: _Batch) -> None:
        await asyncio.to_thread(self.ledger.record, batch.effects())

    def close(self) -> None:
        self.ledger.close()


async def _store_readiness(conn: AsyncConnection, batch: _Batch, accounts: AccountsContext | None) -> None:
    """New users' readiness as judged; updated users' judged again from what is now stored."""
    await write_new(conn, batch.judged.items())
    if accounts is None or not batch.plans:
        return
    judged = await refresh(conn, list(batch.plans), accounts, fresh=batch.fresh, passkeys_refused=batch.refused)
    for d in batch.decisions:
        if d.action == "update" and d.user_id in judged:
            j = judged[d.user_id].judgement
            d.readiness, d.hash_family = str(j.readiness), j.family


def _result_row(job_id: uuid.UUID, d: Decision) -> dict[str, Any]:
    return {
        "job_id": job_id, "seq": d.cand.seq, "line": d.cand.line, "outcome": d.outcome, "user_id": d.user_id,
        "reason": d.reason, "errors": d.errors or None, "warnings": d.cand.warnings or None,
        "record": d.as_json().get("record") if d.outcome == "failed" else None,
        "readiness": d.readiness, "hash_family": d.hash_family,
    }


# --------------------------------------------------------------------------- the loop

_gc_depth = 0


@contextmanager
def _few_collections() -> Iterator[None]:
    """Run a job with rare cyclic garbage collections.

    A batch holds tens of thousands of small dicts; with the default thresholds the collector
    scans them again and again (a third of the CPU time of an import, measured). Records form no
    reference cycles, so reference counting frees them; the objects alive before the job are
    frozen out of the collector's sight for its duration.
    """
    global _gc_depth
    _gc_depth += 1
    previous = gc.get_threshold()
    if _gc_depth == 1:
        gc.freeze()
        gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        _gc_depth -= 1
        if _gc_depth == 0:
            gc.set_threshold(*previous)
            gc.unfreeze()


async def _sqlite_pragma(conn: AsyncConnection, pragma: str) -> Any:
    """Run a pragma through the driver (outside a transaction: inside one, ``foreign_keys`` is a
    no-op), so that SQLAlchemy does not begin one."""
    raw = await conn.get_raw_connection()
    cursor = await raw.driver_connection.execute(f"PRAGMA {pragma}")
    row = await cursor.fetchone()
    await cursor.close()
    return row[0] if row else None


@asynccontextmanager
async def _batch_write(engine: AsyncEngine, checkpoint_pages: int = 0) -> AsyncIterator[AsyncConnection]:
    """The transaction writing one batch.

    On SQLite it runs without foreign-key checks (they cost about a quarter of its insert time,
    measured): every row it writes refers to a user inserted in the same transaction, or to the
    job this process holds, so the checks cannot fail. PostgreSQL keeps them (COPY checks them
    in bulk). With ``checkpoint_pages``, its commit leaves the write-ahead log to grow to that
    many pages before SQLite copies it into the database file: each copy waits for the disk
    (fsync), and with SQLite's default of 1,000 pages a bulk import waited at nearly every batch.
    Durability is that of ``synchronous=NORMAL`` either way. The connection goes back to the pool
    with its own settings, whatever happens.
    """
    async with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            async with conn.begin():
                yield conn
            return
        previous = await _sqlite_pragma(conn, "wal_autocheckpoint")
        try:
            await _sqlite_pragma(conn, "foreign_keys=OFF")
            if checkpoint_pages:
                await _sqlite_pragma(conn, f"wal_autocheckpoint={int(checkpoint_pages)}")
            async with conn.begin():
                yield conn
        finally:
            try:
                await _sqlite_pragma(conn, "foreign_keys=ON")
                await _sqlite_pragma(conn, f"wal_autocheckpoint={int(previous)}")
            except BaseException:
                await conn.invalidate()  # never hand out a connection without its checks
                raise


class _Loop:
    """Batches in a pipeline: while batch N is written (one transaction), batch N+1 is read,
    classified (with N's effects applied) and built. If N's write conflicts with a concurrent
    writer, N is classified again and rewritten, and N+1 is classified again after it."""

    def __init__(self, engine: AsyncEngine, options: ImportOptions, accounts: AccountsContext,
                 recorder: _Recorder) -> None:
        self.engine, self.options, self.accounts, self.recorder = engine, options, accounts, recorder

    async def decide(self, cands: list[Candidate], pending: Effects | None = None) -> _Batch:
        return await _decide(self.engine, cands, self.options, self.accounts, self.recorder, pending)

    async def write(self, batch: _Batch) -> tuple[_Batch, bool]:
        """Write a batch; returns the batch written and whether it is the one given (not redone)."""
        if not self.options.dry_run:
            await keep_inline_hash_configs(self.engine, self.accounts, batch.cands)
        for attempt in range(1, _RETRIES + 1):
            try:
                await self.recorder.commit(self.engine, batch)
                return batch, attempt == 1
            except IntegrityError:
                # Another writer took a key between our lookup and our write: look again.
                if attempt == _RETRIES:
                    raise
                log.warning("import batch conflicted with a concurrent write; retrying", attempt=attempt)
                batch = await self.decide(batch.cands)
            except Exception as exc:
                if isinstance(exc, IntegrityError) or not refused_data(exc):
                    raise
                log.warning("the database refused a batch's data; writing its records one at a time",
                            error=crash_summary(exc))
                return await self._one_at_a_time(batch), False
        raise AssertionError("unreachable")


    async def _one_at_a_time(self, batch: _Batch) -> _Batch:
        """Write each record of a refused batch alone: the records the database refuses fail
        alone (with their line), the others are written. A record the readers let through but the
        database cannot store (``sources._values`` keeps most of them out) never stalls a job."""
        merged = _Batch(batch.cands, [])
        for cand in batch.cands:
            single = await self.decide([cand])
            try:
                await self.recorder.commit(self.engine, single)
            except Exception as exc:
                if isinstance(exc, IntegrityError) or not refused_data(exc):
                    raise
                cand.raw, cand.rec = None, None  # not echoed either: the report row is stored too
                for d in single.decisions:
                    d.fail([{"path": "", "message": f"the database refused this record ({crash_summary(exc)}); "
                                                    "check its values (see Limits in docs/import-format.md)"}])
                single = _Batch([cand], single.decisions)
                for d in single.decisions:
                    single.counts.add(d.outcome)
                await self.recorder.commit(self.engine, single)
            merged.decisions.extend(single.decisions)
            merged.plans.update(single.plans)
            merged.counts.merge(single.counts)
        return merged


async def _run_batches(
    engine: AsyncEngine,
    batches: AsyncIterator[list[Candidate]],
    *,
    options: ImportOptions,
    accounts: AccountsContext,
    recorder: _Recorder,
    on_batch: Callable[[_Batch], None],
    should_stop: Callable[[], bool],
) -> bool:
    """Process every batch; False when stopped early by ``should_stop``."""
    loop = _Loop(engine, options, accounts, recorder)
    writing: asyncio.Task[tuple[_Batch, bool]] | None = None
    writing_effects: Effects | None = None
    with _few_collections():
        try:
            async for cands in batches:
                batch = await loop.decide(cands, writing_effects)
                if writing is not None:
                    written, as_planned = await writing
                    writing = None
                    on_batch(written)
                    if should_stop():
                        return False
                    if not as_planned:
                        batch = await loop.decide(cands)
                writing_effects = batch.effects()
                writing = asyncio.create_task(loop.write(batch))
            if writing is not None:
                written, _ = await writing
                writing = None
                on_batch(written)
        finally:
            if writing is not None:
                writing.cancel()
                with suppress(BaseException):
                    await writing
    return True


def _prefetch(request: ReadRequest, config: ImportSettings) -> Prefetch:
    size = request.path.stat().st_size
    return prefetch_batches(request, use_process=size >= config.reader_process_min_bytes)


def _judging(accounts: AccountsContext, hash_configs: Mapping[str, Any]) -> AccountsContext:
    """The context a job's records are built and judged with: the hash configs it resolved (the
    settings', the stored ones and its file's, which a real run stores for sign-in to find)."""
    return replace(accounts, hash_configs=dict(hash_configs))


def _counts_of(row: Mapping[str, Any]) -> Counts:
    return Counts(row["records_read"], row["inserted"], row["updated"], row["skipped"], row["failed"])


async def run_job(
    engine: AsyncEngine,
    accounts: AccountsContext,
    job_id: uuid.UUID,
    *,
    owner: str,
    config: ImportSettings,
    on_progress: ProgressCallback | None = None,
    on_outcomes: OutcomesCallback | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    allow_failed: bool = False,
    claimed: bool = False,
) -> ImportSummary:
    """Claim a job and run it to the end (or until ``should_stop``), resuming after its last batch.

    Bad records never stop a job; the job fails (state ``failed`` with ``error``) only when the
    file cannot be read as a whole or yields no record. ``JobLost`` propagates when the job is
    cancelled or taken over mid-run; ``Conflict`` when another live process runs it. With
    ``claimed`` the caller has claimed the job for ``owner`` already (``claim_next_job``).
    """
    async with engine.begin() as conn:
        if claimed:
            row = await jobs.held_job(conn, job_id, owner)
        else:
            row = await jobs.claim_job(conn, job_id, owner, config.lease_seconds, allow_failed=allow_failed,
                                       max_attempts=config.max_attempts)
    options = ImportOptions.from_json(row["options"])
    counts = _counts_of(row)
    if row["state"] == "failed":  # given up by claim_job: it crashed [imports] max_attempts runs in a row
        return ImportSummary(job_id, "failed", counts, options.dry_run, row["error"])
    LIVE_OWNERS.add(owner)
    recorder = _JobRecorder(job_id, owner, config.lease_seconds, options.dry_run, config.sqlite_checkpoint_pages,
                            accounts)
    path = Path(row["file_path"])
    reading: Prefetch | None = None

    def progressed(batch: _Batch) -> None:
        counts.merge(batch.counts)
        if on_outcomes is not None:
            on_outcomes(batch.decisions)
        if on_progress is not None:
            on_progress(BatchDone(counts, reading.position if reading else 0, row["file_size"]))

    error: str | None = None
    try:
        try:
            hash_configs = await job_hash_configs_kept(engine, accounts, file_hash_configs(options),
                                                       check_options(options, accounts.hash_configs),
                                                       keep=not options.dry_run)
            reading = _prefetch(ReadRequest(path, options, config.batch_size, accounts.limits, hash_configs,
                                            skip_through=row["last_index"], webauthn_rp_id=accounts.webauthn_rp_id,
                                            prebuild_for=None if options.dry_run else engine.url.drivername), config)
            recorder.bytes_read = lambda: reading.position if reading else 0
            finished = await _run_batches(
                engine, reading, options=options, accounts=_judging(accounts, hash_configs), recorder=recorder,
                on_batch=progressed, should_stop=should_stop,
            )
        except JobLost:
            async with engine.connect() as conn:
                current = await jobs.get_job(conn, job_id)
            if current["state"] == "cancelled":
                return ImportSummary(job_id, "cancelled", counts, options.dry_run, "cancelled")
            raise
        except AuthshiftError as exc:
            error = exc.detail + "".join(f"; {e}" for e in exc.errors)
        except SourceFormatError as exc:
            error = f"the file cannot be read as {options.format}: {exc}"
        except OSError as exc:
            error = f"the file cannot be read: {exc.strerror or exc}"
        except Exception as exc:
            # Unexpected: give the lease back with what went wrong (no data in it). The job is run
            # again, and ends failed after [imports] max_attempts such runs in a row (claim_job).
            async with engine.begin() as conn:
                await jobs.release_lease(conn, job_id, owner, crashed=crash_summary(exc))
            raise
        else:
            if not finished:
                async with engine.begin() as conn:
                    await jobs.release_lease(conn, job_id, owner)
                return ImportSummary(job_id, "running", counts, options.dry_run)
            if counts.read == 0:
                error = NO_RECORDS
        state = "failed" if error else "completed"
        async with engine.begin() as conn:
            await jobs.finish_job(conn, job_id, owner, state, error=error)
        log.info("import job finished", job_id=str(job_id), state=state, **counts.as_dict())
        return ImportSummary(job_id, state, counts, options.dry_run, error)
    finally:
        recorder.close()
        LIVE_OWNERS.discard(owner)


async def dry_run_to_report(
    engine: AsyncEngine,
    accounts: AccountsContext,
    path: Path,
    options: ImportOptions,
    *,
    config: ImportSettings,
    on_outcomes: OutcomesCallback,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """A dry run with no job row: every outcome goes to ``on_outcomes``; the database is only read.

    Raises ``InvalidInput`` (bad options), ``SourceFormatError`` or ``OSError`` when the file
    cannot be read; a file without records gives a summary with state ``failed``.
    """
    hash_configs = await job_hash_configs_kept(engine, accounts, {}, check_options(options, accounts.hash_configs),
                                               keep=False)
    counts = Counts()
    size = path.stat().st_size
    reading = _prefetch(ReadRequest(path, options, config.batch_size, accounts.limits, hash_configs,
                                    webauthn_rp_id=accounts.webauthn_rp_id), config)

    def progressed(batch: _Batch) -> None:
        counts.merge(batch.counts)
        on_outcomes(batch.decisions)
        if on_progress is not None:
            on_progress(BatchDone(counts, reading.position, size))

    recorder = _LedgerRecorder()
    try:
        await _run_batches(engine, reading, options=options, accounts=_judging(accounts, hash_configs),
                           recorder=recorder, on_batch=progressed, should_stop=lambda: False)
    finally:
        recorder.close()
    if counts.read == 0:
        return ImportSummary(None, "failed", counts, True, NO_RECORDS)
    return ImportSummary(None, "completed", counts, True)
