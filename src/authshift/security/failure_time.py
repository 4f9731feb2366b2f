"""Every failed sign-in takes as long as checking a native password, whatever the user's hash.

An unknown login ID pays for one native (argon2id) verify against a dummy hash; a known user pays
for their own hash, which for an imported MD5 or a low-cost bcrypt hash is far cheaper (13 ms and
104 ms against 418 ms, measured), so the time of a failure told who exists and how their password
is stored. As Django's ``harden_runtime`` makes a weak hash cost what the current one does, a
failure here is padded (asleep, off the CPU) up to ``FailureClock.floor``: the running estimate of
what a native verify costs on this machine now, learnt from the dummy verifies themselves, so the
padding follows the machine's load as the real work does. A hash costlier than a native verify
(a bcrypt cost above 12, PBKDF2 in the millions) is not padded: the import ceilings bound it.
"""

from __future__ import annotations

import asyncio
import time

from authshift import passwords

__all__ = ["FailureClock", "failure_clock"]

WEIGHT = 0.2  # how much one new measurement moves the estimate


class FailureClock:
    """The cost of one native verify in this process, and padding failures up to it."""

    def __init__(self) -> None:
        self._floor: float | None = None

    @property
    def floor(self) -> float | None:
        return self._floor

    def observe(self, seconds: float) -> None:
        self._floor = seconds if self._floor is None else (1 - WEIGHT) * self._floor + WEIGHT * seconds

    async def dummy_verify(self, password: str) -> None:
        """Verify against the dummy native hash (an unknown user), and learn what it cost."""
        started = time.perf_counter()
        await passwords.dummy_verify_async(password)
        self.observe(time.perf_counter() - started)

    async def pad(self, started: float, password: str) -> None:
        """A sign-in that began checking at ``started`` (``time.perf_counter``) has failed: end
        it no earlier than one native verify after ``started``. Before any estimate exists, a
        dummy verify is made (and measured) instead."""
        if self._floor is None:
            await self.dummy_verify(password)
            return
        remaining = self._floor - (time.perf_counter() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)


failure_clock = FailureClock()  # one per process: the machine's cost, shared by every request
