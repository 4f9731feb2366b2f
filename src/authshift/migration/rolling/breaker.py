"""A circuit breaker: stop calling a system that keeps failing, try again after a pause.

States, per process:

- closed: calls go through; ``failures`` consecutive failures open the breaker;
- open: calls are refused at once (``BreakerOpen``) until ``reset_seconds`` have passed;
- half-open: one trial call goes through (others are still refused); its success closes the
  breaker, its failure opens it for another ``reset_seconds``.

The clock is injectable so tests can move time instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

BreakerState = Literal["closed", "open", "half-open"]


class BreakerOpen(Exception):
    """The breaker refuses calls until ``retry_at`` (a ``clock()`` value)."""

    def __init__(self, retry_at: float) -> None:
        super().__init__("circuit breaker open")
        self.retry_at = retry_at


@dataclass
class CircuitBreaker:
    failures: int
    reset_seconds: float
    clock: Callable[[], float] = time.monotonic
    _consecutive: int = field(default=0, init=False)
    _opened_at: float | None = field(default=None, init=False)
    _trial_in_flight: bool = field(default=False, init=False)

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self.clock() - self._opened_at >= self.reset_seconds:
            return "half-open"
        return "open"

    @property
    def retry_at(self) -> float:
        """When an open breaker lets a trial call through (now when closed)."""
        return self.clock() if self._opened_at is None else self._opened_at + self.reset_seconds

    def before_call(self) -> None:
        """Raise ``BreakerOpen`` unless a call may go out now (the half-open trial is reserved)."""
        state = self.state
        if state == "closed":
            return
        if state == "half-open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return
        raise BreakerOpen(self.retry_at if state == "open" else self.clock() + 1.0)

    def succeeded(self) -> None:
        self._consecutive = 0
        self._opened_at = None
        self._trial_in_flight = False

    def failed(self) -> None:
        self._trial_in_flight = False
        if self._opened_at is not None:  # the half-open trial failed (or a call that began before opening)
            self._opened_at = self.clock()
            return
        self._consecutive += 1
        if self._consecutive >= self.failures:
            self._opened_at = self.clock()

    def released(self) -> None:
        """A call ended with neither verdict (cancelled): free the half-open trial slot."""
        self._trial_in_flight = False
