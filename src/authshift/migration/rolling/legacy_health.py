"""How the legacy connector is doing, for people: calls, failures and latency over a recent
window, per process (like the circuit breaker it sits beside).

The connector records every call it makes (``record``); the console's Overview shows ``summary``
next to the breaker's state. Calls the open breaker refused are counted apart: they never left.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_SECONDS = 300.0
MAX_SAMPLES = 10_000


@dataclass(frozen=True)
class HealthSummary:
    window_seconds: float
    calls: int
    failures: int
    refused: int  # refused by the open breaker, not sent
    p50_ms: float | None
    p95_ms: float | None

    @property
    def error_rate(self) -> float:
        return self.failures / self.calls if self.calls else 0.0


@dataclass
class CallStats:
    window_seconds: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    _calls: deque[tuple[float, bool, float]] = field(default_factory=lambda: deque(maxlen=MAX_SAMPLES), init=False)
    _refused: deque[float] = field(default_factory=lambda: deque(maxlen=MAX_SAMPLES), init=False)

    def record(self, ok: bool, seconds: float) -> None:
        self._calls.append((self.clock(), ok, seconds))

    def record_refused(self) -> None:
        self._refused.append(self.clock())

    def summary(self) -> HealthSummary:
        since = self.clock() - self.window_seconds
        recent = [(ok, s) for at, ok, s in self._calls if at >= since]
        latencies = sorted(s * 1000 for _, s in recent)

        def pct(p: float) -> float | None:
            return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1) if latencies else None

        return HealthSummary(
            window_seconds=self.window_seconds, calls=len(recent), failures=sum(1 for ok, _ in recent if not ok),
            refused=sum(1 for at in self._refused if at >= since), p50_ms=pct(0.5), p95_ms=pct(0.95),
        )
