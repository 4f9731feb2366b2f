"""What ``authshift import`` adds around a job: readiness counts in the summary, the lazy-users
warning, ``--max-failed`` and ``--check-credentials`` (known answers).

Heavy modules are imported inside the methods, so that loading the CLI stays fast.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authshift.errors import FieldError, InvalidInput

if TYPE_CHECKING:
    from authshift.config import Settings
    from authshift.migration.imports.jobs import Counts
    from authshift.migration.imports.known_answers import KnownAnswer, PreparedIndex
    from authshift.migration.imports.plan import Decision
    from authshift.state import AppState

Outcomes = Any  # Callable[[Sequence[Decision]], None]


def parse_max_failed(text: str) -> tuple[str, float]:
    """``--max-failed``: ``("count", N)`` for a whole number, ``("percent", P)`` for ``P%``."""
    value = text.strip()
    try:
        if value.endswith("%"):
            percent = float(value[:-1])
            if not 0 <= percent <= 100:
                raise ValueError
            return "percent", percent
        count = int(value)
        if count < 0:
            raise ValueError
        return "count", float(count)
    except ValueError:
        raise InvalidInput("--max-failed is not valid", errors=[
            FieldError("max_failed", f"{text!r}: expected a number of records (like 10) or a percentage (like 5%)")
        ]) from None


@dataclass
class ImportExtras:
    max_failed: tuple[str, float] | None = None
    answers: list[KnownAnswer] | None = None
    legacy_verify: bool = False
    file_configs: dict[str, Any] = field(default_factory=dict)  # the --hash-config file's (a dry run checks with them)
    counts: dict[str, dict[str, int]] | None = None
    known: list[dict[str, Any]] = field(default_factory=list)
    _pairs: list[tuple[str | None, str | None]] = field(default_factory=list)
    _index: PreparedIndex | None = None

    @classmethod
    def from_options(cls, max_failed: str | None, credentials: Path | None, settings: Settings) -> ImportExtras:
        """Bad values raise ``InvalidInput`` (the command exits with status 2 before importing)."""
        answers = None
        if credentials is not None:
            from authshift.migration.imports.known_answers import read_credentials

            answers = read_credentials(credentials)
        return cls(max_failed=parse_max_failed(max_failed) if max_failed is not None else None, answers=answers,
                   legacy_verify=settings.migration.legacy.verify_url is not None)

    def watching(self, write: Outcomes) -> Outcomes:
        """A dry run's outcome callback: ``write`` plus the readiness counts and known-answer records."""
        if self.answers:
            from authshift.migration.imports.known_answers import PreparedIndex

            self._index = PreparedIndex.of(self.answers)

        def watch(decisions: Sequence[Decision]) -> None:
            write(decisions)
            self._pairs.extend((d.readiness, d.hash_family) for d in decisions)
            if self._index is not None:
                self._index(decisions)

        return watch

    async def after_dry_run(self, state: AppState) -> None:
        from authshift.migration.imports.known_answers import check_prepared
        from authshift.migration.readiness.report import counts_of

        self.counts = counts_of(self._pairs)
        if self.answers and self._index is not None:
            self.known = await check_prepared(state, self.answers, self._index, self.file_configs)

    async def after_job(self, state: AppState, job_id: uuid.UUID) -> None:
        from authshift.migration.imports import jobs
        from authshift.migration.imports.known_answers import check_stored

        async with state.engine.connect() as conn:
            self.counts = (await jobs.get_job(conn, job_id))["readiness_counts"]
        if self.answers:
            self.known = await check_stored(state, self.answers)

    def lines(self) -> list[str]:
        from authshift.migration.readiness.report import lazy_warning

        out: list[str] = []
        if self.counts:  # one line each: scripts read the outcome counts as "  <name>  <n>" lines
            out.append("by readiness: " + ", ".join(f"{k} {v}" for k, v in self.counts["by_readiness"].items()))
            out.append("by hash family: " + (", ".join(f"{k} {v}" for k, v in self.counts["by_hash_family"].items())
                                             or "none"))
            warning = lazy_warning(self.counts, self.legacy_verify)
            if warning:
                out.append(f"warning: {warning}")
        if self.answers:
            out.append("known answers (--check-credentials):")
            for r in self.known:
                detail = f" ({r['reason']})" if r.get("reason") else ""
                out.append(f"  line {r['line']}: {r['login_id']}: {r['result']}{detail}")
        return out

    def too_many_failed(self, counts: Counts) -> bool:
        if self.max_failed is None:
            return False
        kind, limit = self.max_failed
        if kind == "count":
            return counts.failed > limit
        return counts.read > 0 and counts.failed * 100 > limit * counts.read

    def known_answer_failed(self) -> bool:
        from authshift.migration.imports.known_answers import PASSED

        return any(r["result"] != PASSED for r in self.known)
