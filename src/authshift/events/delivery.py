"""Reliable delivery of outbox events to webhook endpoints and the legacy write-back URL.

Three steps, each in its own short transaction, run by a worker in every ``authshift serve``:

1. fan-out: events not yet dispatched (``events.dispatched_at IS NULL``) get one delivery per
   target that wants them (the legacy write-back for ``[migration.legacy] writeback_events``;
   each enabled webhook endpoint whose ``event_types`` match), then are marked dispatched;
2. claim: due deliveries become ``delivering`` under this worker's lease (the shared
   ``jobs.lease``: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's write lock), and their
   attempt count goes up. A delivery waits while an earlier delivery of the same subject (user) to the
   same target is still pending, so a target sees each user's events in order;
3. attempt: POST ``{"type", "id", "timestamp", "data"}`` signed with Standard Webhooks headers,
   ``webhook-id`` = the event id (the receiver's idempotency key). 2xx: ``delivered``. Otherwise
   the delivery goes back to ``pending`` after an exponential backoff with jitter, or becomes
   ``dead`` after ``max_attempts``; ``redeliver`` gives a delivery a fresh budget.

At least once: a worker that dies mid-delivery leaves its lease to expire, and another worker
(or the restarted one) claims the delivery again. Several processes sharing a PostgreSQL
database never hold the same delivery at the same time.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authshift.accounts.rows import iso
from authshift.config import DeliverySettings
from authshift.errors import Conflict, NotFound
from authshift.events.outbox import events
from authshift.events.tables import DELIVERY_STATES, LEGACY_WRITEBACK, deliveries, webhook_endpoints
from authshift.events.webhooks import endpoint_secret_box, event_type_matches
from authshift.ids import uuid7
from authshift.jobs import lease
from authshift.jobs.worker import Worker
from authshift.logs import get_logger
from authshift.migration.rolling.lazy import LegacyHost
from authshift.migration.rolling.legacy_client import LegacyClient, LegacyRejected, LegacyUnavailable
from authshift.outbound import outbound_client, post_bounded, shorten
from authshift.security.secretbox import DecryptionError, SecretBox
from authshift.security.webhook_signatures import signed_headers
from authshift.storage.db import is_postgres, reading
from authshift.storage.types import utcnow

__all__ = [
    "DeliveryWorker", "backoff_seconds", "claim", "delivery_counts", "event_body", "fan_out", "get_delivery",
    "list_deliveries", "redeliver", "start_delivery_worker",
]

log = get_logger("authshift.events.delivery")

MAX_ERROR_LENGTH = 500
MAX_RESPONSE_BYTES = 64_000


# --------------------------------------------------------------------------- fan-out

@dataclass(frozen=True)
class WritebackRoute:
    """Which events the legacy write-back receives (None on the worker when it is not configured)."""

    event_types: Sequence[str]


async def fan_out(conn: AsyncConnection, *, writeback: WritebackRoute | None, limit: int = 500) -> int:
    """Create the deliveries of up to ``limit`` undispatched events; returns how many events."""
    q = sa.select(events.c.id, events.c.type, events.c.subject).where(events.c.dispatched_at.is_(None))
    q = q.order_by(events.c.id).limit(limit)
    if is_postgres(conn):
        q = q.with_for_update(skip_locked=True)
    batch = (await conn.execute(q)).all()
    if not batch:
        return 0
    endpoints = (
        await conn.execute(
            sa.select(webhook_endpoints.c.id, webhook_endpoints.c.event_types).where(webhook_endpoints.c.enabled.is_(True))
        )
    ).all()
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for event_id, event_type, subject in batch:
        targets: list[tuple[str, uuid.UUID | None]] = []
        if writeback is not None and event_type_matches(writeback.event_types, event_type):
            targets.append((LEGACY_WRITEBACK, None))
        targets += [(f"webhook:{eid}", eid) for eid, types in endpoints if event_type_matches(types, event_type)]
        rows += [
            {"id": uuid7(), "event_id": event_id, "target": target, "endpoint_id": endpoint_id, "subject": subject,
             "event_type": event_type, "state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
            for target, endpoint_id in targets
        ]
    if rows:
        await conn.execute(deliveries.insert(), rows)
    await conn.execute(events.update().where(events.c.id.in_([r[0] for r in batch])).values(dispatched_at=now))
    return len(batch)


# --------------------------------------------------------------------------- claim

@dataclass(frozen=True)
class Job:
    """One claimed delivery with what its attempt needs."""

    delivery_id: uuid.UUID
    attempts: int
    target: str
    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    data: Mapping[str, Any]
    url: str | None = None  # webhook endpoints
    secret_encrypted: str | None = None


LEASE = lease.LeaseTable(deliveries, waiting=("pending",), held="delivering", due="next_attempt_at")


def _waits(*, writeback: bool) -> list[Any]:
    """What keeps a claimable delivery waiting (besides the lease's rule)."""
    d = deliveries
    earlier = deliveries.alias("earlier")
    conditions: list[Any] = [
        # one user's events reach one target in order: wait while an earlier one is unfinished
        sa.or_(
            d.c.subject.is_(None),
            ~sa.exists().where(
                earlier.c.target == d.c.target,
                earlier.c.subject == d.c.subject,
                earlier.c.event_id < d.c.event_id,
                earlier.c.state.in_(("pending", "delivering")),
            ),
        ),
        # deliveries of a disabled endpoint wait until it is enabled again
        sa.or_(
            d.c.endpoint_id.is_(None),
            d.c.endpoint_id.in_(sa.select(webhook_endpoints.c.id).where(webhook_endpoints.c.enabled.is_(True))),
        ),
    ]
    if not writeback:
        conditions.append(d.c.target != LEGACY_WRITEBACK)
    return conditions


async def pending_work(conn: AsyncConnection, *, writeback: bool, now: datetime | None = None) -> tuple[bool, bool]:
    """(events waiting for fan-out, deliveries due): a read-only probe, so an idle worker never
    takes SQLite's write lock."""
    now = now or utcnow()
    undispatched = sa.exists().where(events.c.dispatched_at.is_(None))
    due = sa.exists().where(LEASE.claimable(now), *_waits(writeback=writeback))
    row = (await conn.execute(sa.select(undispatched.label("undispatched"), due.label("due")))).one()
    return bool(row.undispatched), bool(row.due)


async def claim(
    conn: AsyncConnection, *, owner: str, lease_seconds: float, limit: int, writeback: bool, now: datetime | None = None
) -> list[Job]:
    """Lease up to ``limit`` due deliveries to ``owner``; each claim counts as an attempt."""
    now = now or utcnow()
    d = deliveries
    claimed = [row["id"] for row in await lease.claim(
        conn, LEASE, owner, lease_seconds, where=_waits(writeback=writeback), order_by=[d.c.next_attempt_at],
        limit=limit, values={"attempts": d.c.attempts + 1, "last_attempt_at": now}, now=now,
    )]
    if not claimed:
        return []
    q = (
        sa.select(d.c.id, d.c.attempts, d.c.target, events.c.id.label("event_id"), events.c.type, events.c.occurred_at,
                  events.c.data, webhook_endpoints.c.url, webhook_endpoints.c.secret_encrypted)
        .join(events, events.c.id == d.c.event_id)
        .outerjoin(webhook_endpoints, webhook_endpoints.c.id == d.c.endpoint_id)
        .where(d.c.id.in_(list(claimed)))
        .order_by(d.c.event_id)
    )
    return [
        Job(r.id, r.attempts, r.target, r.event_id, r.type, r.occurred_at, r.data, r.url, r.secret_encrypted)
        for r in (await conn.execute(q)).all()
    ]


# --------------------------------------------------------------------------- attempt

def event_body(event_id: uuid.UUID, event_type: str, occurred_at: datetime, data: Mapping[str, Any]) -> bytes:
    """The JSON every target receives: ``{"type", "id", "timestamp", "data"}``."""
    payload = {
        "type": event_type,
        "id": str(event_id),
        "timestamp": iso(occurred_at),
        "data": data,
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status: int | None = None
    error: str | None = None
    postpone_seconds: float | None = None  # not an attempt: the legacy breaker refused the call


def backoff_seconds(attempts: int, settings: DeliverySettings, *, rng: Callable[[], float] = random.random) -> float:
    """Delay before the next attempt after ``attempts`` failures: exponential, capped, with jitter
    (between half and all of the exponential value, so retries of many deliveries spread out)."""
    exponential = min(settings.backoff_max_seconds, settings.backoff_base_seconds * 2 ** max(0, attempts - 1))
    return exponential / 2 + rng() * exponential / 2


class Sender:
    """POSTs one job to its target. Webhooks use their own client; the write-back goes through
    the legacy client (its breaker and its timeout)."""

    def __init__(self, settings: DeliverySettings, box: SecretBox, legacy: LegacyClient | None) -> None:
        self.settings = settings
        self.box = box
        self.legacy = legacy
        self._http = outbound_client(settings.timeout_seconds, "authshift-webhooks")

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, job: Job) -> Outcome:
        body = event_body(job.event_id, job.event_type, job.occurred_at, job.data)
        try:
            async with asyncio.timeout(self.settings.timeout_seconds):
                if job.target == LEGACY_WRITEBACK:
                    return await self._writeback(job, body)
                return await self._webhook(job, body)
        except TimeoutError:
            return Outcome(False, error=f"no answer within {self.settings.timeout_seconds:g} s")

    async def _writeback(self, job: Job, body: bytes) -> Outcome:
        if self.legacy is None:
            return Outcome(False, error="no legacy writeback_url is configured")
        try:
            status = await self.legacy.writeback(body, str(job.event_id))
        except LegacyRejected as rejected:
            return Outcome(False, status=rejected.status, error=str(rejected))
        except LegacyUnavailable as down:
            return Outcome(False, error=str(down), postpone_seconds=down.retry_in)
        return Outcome(True, status=status)

    async def _webhook(self, job: Job, body: bytes) -> Outcome:
        if job.url is None or job.secret_encrypted is None:
            return Outcome(False, error="the webhook endpoint no longer exists")
        try:
            secret = self.box.decrypt(job.secret_encrypted).decode()
        except DecryptionError:
            return Outcome(False, error="the endpoint's secret does not decrypt with this instance's encryption key")
        headers = signed_headers(secret, body, msg_id=str(job.event_id))
        headers["content-type"] = "application/json"
        try:
            status, answer = await post_bounded(self._http, job.url, body, headers, limit=MAX_RESPONSE_BYTES)
        except httpx.HTTPError as exc:
            return Outcome(False, error=f"request failed: {type(exc).__name__}")
        if 200 <= status < 300:
            return Outcome(True, status=status)
        return Outcome(False, status=status, error=f"HTTP {status} {shorten(answer)}".strip())


async def record_outcome(
    conn: AsyncConnection, job: Job, outcome: Outcome, *, owner: str, settings: DeliverySettings
) -> str:
    """Store an attempt's result, if this worker still holds the lease; returns the new state
    (``lease-lost`` when another worker took the delivery over meanwhile: its attempt decides)."""
    now = utcnow()
    values: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None, "last_status": outcome.status,
                              "last_error": (outcome.error or "")[:MAX_ERROR_LENGTH] or None}
    if outcome.delivered:
        values.update(state="delivered", delivered_at=now, last_error=None)
    elif outcome.postpone_seconds is not None:
        values.update(state="pending", attempts=deliveries.c.attempts - 1,
                      next_attempt_at=now + timedelta(seconds=outcome.postpone_seconds))
    elif job.attempts >= settings.max_attempts:
        values.update(state="dead")
    else:
        values.update(state="pending", next_attempt_at=now + timedelta(seconds=backoff_seconds(job.attempts, settings)))
    stored = await lease.release(conn, LEASE, job.delivery_id, owner, values=values)
    return str(values["state"]) if stored else "lease-lost"


# --------------------------------------------------------------------------- the worker

class DeliveryWorker:
    """Fan-out, claim and attempt in a loop until stopped. One per process."""

    def __init__(
        self,
        engine: AsyncEngine,
        settings: DeliverySettings,
        *,
        box: SecretBox,
        legacy: LegacyClient | None,
        writeback: WritebackRoute | None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.writeback = writeback
        self.owner = lease.owner_id()
        self.sender = Sender(settings, box, legacy)
        self._worker = Worker("authshift-delivery", self.run_once, poll_seconds=settings.poll_interval_seconds)

    def start(self) -> None:
        self._worker.start()

    async def stop(self, grace_seconds: float = 5.0) -> None:
        # past the grace the round is cancelled; its deliveries are retried when their lease expires
        await self._worker.stop(grace_seconds)
        await self.sender.aclose()

    async def run_once(self) -> bool:
        """One round; True when there may be more work right away."""
        async with reading(self.engine) as conn:
            undispatched, due = await pending_work(conn, writeback=self.writeback is not None)
        dispatched = 0
        if undispatched:
            async with self.engine.begin() as conn:
                dispatched = await fan_out(conn, writeback=self.writeback)
        jobs: list[Job] = []
        if due or dispatched:
            async with self.engine.begin() as conn:
                jobs = await claim(conn, owner=self.owner, lease_seconds=self.settings.lease_seconds,
                                   limit=self.settings.batch_size, writeback=self.writeback is not None)
        for failure in await asyncio.gather(*(self._attempt(job) for job in jobs), return_exceptions=True):
            if isinstance(failure, Exception):
                log.error("recording a delivery attempt failed; its lease will expire and it will be retried",
                          error_type=type(failure).__name__)
        return bool(jobs) or dispatched > 0

    async def _attempt(self, job: Job) -> None:
        outcome = await self.sender.send(job)
        async with self.engine.begin() as conn:
            state = await record_outcome(conn, job, outcome, owner=self.owner, settings=self.settings)
        log_method = log.info if outcome.delivered else log.warning
        log_method("delivery attempt", delivery_id=str(job.delivery_id), event_id=str(job.event_id),
                   event_type=job.event_type, target=job.target, attempt=job.attempts, state=state,
                   status=outcome.status, error=outcome.error)


# --------------------------------------------------------------------------- admin services

def _public(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]), "event_id": str(row["event_id"]), "event_type": row["event_type"],
        "target": row["target"], "endpoint_id": str(row["endpoint_id"]) if row["endpoint_id"] else None,
        "subject": row["subject"], "state": row["state"], "attempts": row["attempts"],
        "next_attempt_at": iso(row["next_attempt_at"]) if row["state"] == "pending" else None,
        "last_attempt_at": iso(row["last_attempt_at"]), "last_status": row["last_status"],
        "last_error": row["last_error"], "created_at": iso(row["created_at"]), "delivered_at": iso(row["delivered_at"]),
    }


@dataclass(frozen=True)
class DeliveryFilter:
    state: str | None = None
    target: str | None = None
    event_type: str | None = None
    event_id: uuid.UUID | None = None


async def list_deliveries(
    conn: AsyncConnection, f: DeliveryFilter, *, limit: int = 50, before: uuid.UUID | None = None
) -> tuple[list[dict[str, Any]], uuid.UUID | None]:
    """Newest first; returns a page and the cursor of the next (older) page."""
    d = deliveries
    q = sa.select(d).order_by(d.c.id.desc()).limit(limit + 1)
    for column, value in ((d.c.state, f.state), (d.c.target, f.target), (d.c.event_type, f.event_type),
                          (d.c.event_id, f.event_id)):
        if value is not None:
            q = q.where(column == value)
    if before is not None:
        q = q.where(d.c.id < before)
    rows = list((await conn.execute(q)).mappings())
    more = len(rows) > limit
    rows = rows[:limit]
    return [_public(r) for r in rows], (rows[-1]["id"] if more else None)


async def get_delivery(conn: AsyncConnection, delivery_id: uuid.UUID) -> dict[str, Any]:
    row = (await conn.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id))).mappings().first()
    if row is None:
        raise NotFound(f"no delivery with id {delivery_id}")
    return _public(row)


async def redeliver(conn: AsyncConnection, delivery_id: uuid.UUID) -> dict[str, Any]:
    """Send a delivery again with a fresh attempt budget (dead, delivered or waiting ones)."""
    current = await get_delivery(conn, delivery_id)
    if current["state"] == "delivering":
        raise Conflict("the delivery is being attempted right now; try again when the attempt ends")
    await conn.execute(
        deliveries.update().where(deliveries.c.id == delivery_id, deliveries.c.state != "delivering").values(
            state="pending", attempts=0, next_attempt_at=utcnow(), delivered_at=None, lease_owner=None,
            lease_expires_at=None,
        )
    )
    return await get_delivery(conn, delivery_id)


async def delivery_counts(conn: AsyncConnection) -> dict[str, dict[str, int]]:
    """Deliveries per target and state: ``{"legacy-writeback": {"pending": 3, ...}, ...}``."""
    q = sa.select(deliveries.c.target, deliveries.c.state, sa.func.count()).group_by(deliveries.c.target, deliveries.c.state)
    out: dict[str, dict[str, int]] = {}
    for target, state, count in (await conn.execute(q)).all():
        out.setdefault(target, dict.fromkeys(DELIVERY_STATES, 0))[state] = count
    return out


async def start_delivery_worker(state: LegacyHost) -> Callable[[], Awaitable[None]]:
    """``app.BACKGROUND`` starter: the worker of this process (unless ``[delivery] worker = false``)."""
    legacy = state.settings.migration.legacy
    if not state.settings.delivery.worker:
        async def nothing() -> None:
            return None

        return nothing
    worker = DeliveryWorker(
        state.engine, state.settings.delivery, box=endpoint_secret_box(state.secrets.encryption_key),
        legacy=state.legacy_client,
        writeback=WritebackRoute(legacy.writeback_events) if legacy.writeback_url and state.legacy_client else None,
    )
    worker.start()
    return worker.stop
