"""Sign-in throttling that an attacker cannot turn against the account's owner.

The policy (docs/operations.md, "Sign-in throttling") in one place:

- **Per account and source together** (``account_max_attempts`` per ``account_window_seconds``):
  guesses at one account from one client IP. Over it, that IP is refused for that account only;
  the owner signing in from anywhere else is not affected.
- **Per source** (``ip_max_attempts`` per ``ip_window_seconds``): one IP guessing at many
  accounts (password spraying).
- **Per account, every source** (``account_lock_attempts`` per ``account_window_seconds``): a
  guess at one account from many IPs. Over it the account is *locked for unknown sources* until
  the window ends, and ``account.throttled`` is emitted once per window for an account that exists.
- **Known devices are never locked out.** A browser that has signed in to the account before
  (a signed ``authshift_device`` cookie naming the user: ``http/browser.py``) is counted on its
  own counter and never refused by the three budgets above: after ``account_max_attempts``
  failures it waits a delay that doubles with each further failure, up to
  ``known_device_max_delay_seconds``. So the owner always gets in, at worst a little later.
- **Known networks are never locked out either.** A new browser on a network from which the
  account completed a sign-in within ``known_network_days`` (its /24 or /64:
  ``security/known_networks.py``) gets the same growing delays, on a counter per account and
  network, instead of the budgets above: the owner's office or home is not locked out by an
  attacker elsewhere.

Attempts are counted *before* the password is checked (a parallel burst cannot slip past), and
given back (``give_back``) when the attempt could not be judged (the legacy system was down:
"try again shortly" must not use up the budget of someone who retries as told). A success clears
the account-and-source and device counters and gives back its attempt to the others.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.config import ThrottleSettings
from authshift.events.outbox import emit
from authshift.logs import get_logger
from authshift.security import throttle
from authshift.security.digests import secret_digest
from authshift.security.throttle import Limit, account_key, counter_key, hit, ip_key
from authshift.storage.types import utcnow

ACCOUNT_THROTTLED = "account.throttled"

log = get_logger("authshift.throttle")


def device_user_tag(user_id: uuid.UUID) -> str:
    """How a device cookie names a user: a digest, so the cookie does not show whose it is."""
    return secret_digest(f"device-user|{user_id}")[:32]


@dataclass(frozen=True)
class KnownDevice:
    """A browser that has signed in before: its random id and the users it signed in as
    (``device_user_tag``s, read from the signed ``authshift_device`` cookie; it cannot be forged
    without the secret key)."""

    id: str
    user_tags: frozenset[str]

    def knows(self, user_id: uuid.UUID) -> bool:
        return device_user_tag(user_id) in self.user_tags


@dataclass(frozen=True)
class Admission:
    """The verdict on one attempt, and what it counted (to give back or clear later)."""

    admitted: bool
    retry_after: int | None = None  # seconds, when refused
    counted: tuple[str, ...] = ()  # counters this attempt used
    clear_on_success: tuple[str, ...] = field(default=())


def pair_key(login: str, ip: str | None) -> str:
    """One counter per account and source: the account's own key combined with the IP."""
    return counter_key("account-ip", f"{account_key(login)}|{ip or 'unknown'}")


def device_key(user_id: uuid.UUID, device_id: str) -> str:
    return counter_key("device", f"{user_id}|{device_id}")


def known_device_delay(cfg: ThrottleSettings, failures: int) -> int:
    """Seconds a known device waits after its ``failures``-th failure in a row: none within the
    free attempts, then 1, 2, 4 ... up to ``known_device_max_delay_seconds``."""
    over = failures - cfg.account_max_attempts
    if over < 0:
        return 0
    return int(min(2 ** min(over, 30), cfg.known_device_max_delay_seconds))


def network_key(user_id: uuid.UUID, network: str) -> str:
    return counter_key("network", f"{user_id}|{network}")


async def _admit_known_source(conn: AsyncConnection, cfg: ThrottleSettings, key: str, now: datetime) -> Admission:
    t = throttle.throttle.c
    row = (await conn.execute(sa.select(t.count, t.window_start).where(t.key == key))).first()
    if row is not None and row.window_start >= now - timedelta(seconds=cfg.account_window_seconds):
        wait_until = row.window_start + timedelta(seconds=known_device_delay(cfg, row.count))
        if now < wait_until:
            return Admission(False, retry_after=max(1, int((wait_until - now).total_seconds() + 0.999)))
    # window_start holds the last attempt here (so failures add up until a quiet window): ``hit``
    # starts the count again when it is older than the window, then it is moved to now
    await hit(conn, Limit(key, cfg.account_max_attempts, cfg.account_window_seconds), now=now)
    await conn.execute(throttle.throttle.update().where(t.key == key).values(window_start=now))
    return Admission(True, counted=(key,), clear_on_success=(key,))


async def admit(
    conn: AsyncConnection, cfg: ThrottleSettings, login: str, ip: str | None, *,
    user_id: uuid.UUID | None, known_device: str | None, known_network: str | None = None,
) -> Admission:
    """Count one sign-in attempt and decide whether it may be checked (see the module docstring).

    ``login``: the login ID as typed, normalised by the caller (``accounts.login_ids.login_key``);
    ``user_id``: the account the login ID names, if any; ``known_device``: the id of this browser's
    device cookie when it names that user; ``known_network``: the digest of the client's network
    when that user completed a sign-in from it (``known_networks.known_network``)."""
    now = utcnow()
    if user_id is not None and known_device is not None:
        return await _admit_known_source(conn, cfg, device_key(user_id, known_device), now)
    if user_id is not None and known_network is not None:
        return await _admit_known_source(conn, cfg, network_key(user_id, known_network), now)
    pair = Limit(pair_key(login, ip), cfg.account_max_attempts, cfg.account_window_seconds)
    source = Limit(ip_key(ip), cfg.ip_max_attempts, cfg.ip_window_seconds)
    account = Limit(account_key(login), cfg.account_lock_attempts, cfg.account_window_seconds)
    counts = {limit.key: await hit(conn, limit, now=now) for limit in (pair, source, account)}
    counted = (pair.key, source.key, account.key)
    if counts[account.key] == account.max_attempts + 1 and user_id is not None:
        await emit(conn, ACCOUNT_THROTTLED, {
            "user_id": str(user_id), "failed_attempts": account.max_attempts, "window_seconds": account.window_seconds,
            "known_devices_can_sign_in": True,
        }, subject=str(user_id))
        log.warning("account locked for unknown devices: too many failed sign-ins from several sources",
                    user_id=str(user_id), window_seconds=account.window_seconds)
    over = [limit for limit in (pair, source, account) if counts[limit.key] > limit.max_attempts]
    if over:
        return Admission(False, retry_after=max(limit.window_seconds for limit in over), counted=counted)
    return Admission(True, counted=counted, clear_on_success=(pair.key,))


async def give_back(conn: AsyncConnection, admission: Admission) -> None:
    """The attempt could not be judged (the legacy system did not answer): it does not count."""
    for key in admission.counted:
        await throttle.take_back(conn, key)


async def succeeded(conn: AsyncConnection, admission: Admission) -> None:
    """A right password: this source's (or device's) failures are forgotten, and the attempt is
    given back to the shared budgets (an attacker's count on the account is left as it is)."""
    for key in admission.counted:
        if key in admission.clear_on_success:
            await throttle.clear(conn, key)
        else:
            await throttle.forgive(conn, key)
