"""Every failed sign-in takes as long as checking a native password, whatever the user's hash.

An unknown login ID pays for one native (argon2id) verify against a dummy hash; a known user pays
for their own hash, which for an imported MD5 or a low-cost bcrypt hash is far cheaper (13 ms and
104 ms against 418 ms, measured), so the time of a failure told who exists and how their password
is stored. As Django's ``harden_runtime`` makes a weak hash cost what the current one does, a
failure here is padded (asleep, off the CPU) up to ``FailureClock.floor``: the running estimate of
what a native verify costs on this machine now, learnt from the dummy verifies themselves, so the
padding follows the machine's load as the real work does.

A hash costlier than a native verify (a bcrypt cost above 12, PBKDF2 in the millions) would make
its users' failures slower than an unknown user's. So the target is the native cost or, when
higher, the slowest failure seen recently (``SLOWEST_HALF_LIFE``: it decays, so one slow check
does not slow every failure forever), up to ``MAX_PAD_SECONDS``: once a slow-hash user has failed
in this process, unknown users' failures take as long. What remains visible is the first slow
failure after a quiet spell; the import ceilings bound how slow that can be.
"""

from __future__ import annotations

import asyncio
import time

from authshift import passwords

__all__ = ["FailureClock", "failure_clock"]

WEIGHT = 0.2  # how much one new measurement moves the estimate
SLOWEST_HALF_LIFE = 600.0  # seconds for the slowest recent failure to count half as much
MAX_PAD_SECONDS = 5.0  # no failure is padded beyond this, whatever one check cost on a stalled machine


class FailureClock:
    """The cost of one native verify in this process, and padding failures up to it."""

    def __init__(self) -> None:
        self._floor: float | None = None
        self._slowest = 0.0
        self._slowest_at = 0.0

    @property
    def floor(self) -> float | None:
        return self._floor

    def _recent_slowest(self, now: float) -> float:
        return self._slowest * 0.5 ** ((now - self._slowest_at) / SLOWEST_HALF_LIFE)

    def target(self, now: float | None = None) -> float | None:
        """How long a failure takes: the native cost, or the slowest recent failure if longer."""
        if self._floor is None:
            return None
        now = time.perf_counter() if now is None else now
        return max(self._floor, min(self._recent_slowest(now), MAX_PAD_SECONDS))

    def observe_failure(self, seconds: float, now: float | None = None) -> None:
        """A failed check took ``seconds`` before padding: remember it if it is the slowest recently."""
        now = time.perf_counter() if now is None else now
        if seconds > self._recent_slowest(now):
            self._slowest, self._slowest_at = min(seconds, MAX_PAD_SECONDS), now

    def observe(self, seconds: float) -> None:
        self._floor = seconds if self._floor is None else (1 - WEIGHT) * self._floor + WEIGHT * seconds

    async def dummy_verify(self, password: str) -> None:
        """Verify against the dummy native hash (an unknown user), and learn what it cost."""
        started = time.perf_counter()
        await passwords.dummy_verify_async(password)
        self.observe(time.perf_counter() - started)

    async def pad(self, started: float, password: str, *, local_hash: bool = False) -> None:
        """A sign-in that began checking at ``started`` (``time.perf_counter``) has failed: end
        it no earlier than ``target()`` after ``started``. Before any estimate exists, a dummy
        verify is made (and measured) instead. ``local_hash``: the failure was a stored hash's
        verdict (the time of a legacy system's answer is not a hash's cost, so it sets no target)."""
        now = time.perf_counter()
        if local_hash:
            self.observe_failure(now - started, now)
        target = self.target(now)
        if target is None:
            await self.dummy_verify(password)
            return
        remaining = target - (now - started)
        if remaining > 0:
            await asyncio.sleep(remaining)


failure_clock = FailureClock()  # one per process: the machine's cost, shared by every request
