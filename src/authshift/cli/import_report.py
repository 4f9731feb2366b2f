"""What ``authshift import`` shows: the report lines, the progress bar and the summary.

- A dry run's report says what a real run would do, as ``migration.imports.dry_run`` states it.
- The summary groups failures and warnings by reason (with the first line of each), so a
  file with one systematic problem reads as one line, not as a count to investigate.
- The progress bar shows the share of the file read and the time left, and fits 80 columns.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.live import Live

from authshift.cli.progress_line import ProgressLine
from authshift.errors import FieldError
from authshift.migration.imports.dry_run import DRY_RUN_OUTCOMES, dry_run_view

if TYPE_CHECKING:
    from authshift.migration.imports.bulk import BatchDone, ImportSummary, OutcomesCallback
    from authshift.migration.imports.plan import Decision

SHOWN_REASONS = 10  # per kind; the report has them all


def open_report(path: Path) -> TextIO:
    """The report holds personal data (emails, names): readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8")


def default_report(data_dir: Path, name: str) -> Path:
    """Reports go to the instance's data folder (``<data_dir>/reports``), not the working directory."""
    return (data_dir / "reports" / name).absolute()


class Tally:
    """Failures, skips and warnings counted by reason, with the first line that gave each."""

    def __init__(self) -> None:
        self.by_kind: dict[str, Counter[str]] = {"failed": Counter(), "skipped": Counter(), "warnings": Counter()}
        self.first_line: dict[tuple[str, str], int] = {}

    def _add(self, kind: str, reason: str, line: int | None) -> None:
        self.by_kind[kind][reason] += 1
        if line is not None:
            self.first_line.setdefault((kind, reason), line)

    def add(self, outcome: dict[str, Any]) -> None:
        line = outcome.get("line")
        if outcome["outcome"] == "failed":
            for error in outcome.get("errors") or [{"path": "", "message": outcome.get("reason") or "failed"}]:
                self._add("failed", reason_text(error), line)
        elif outcome["outcome"] == "skipped" and outcome.get("reason"):
            self._add("skipped", str(outcome["reason"]), line)
        for warning in outcome.get("warnings") or []:
            self._add("warnings", reason_text(warning), line)

    def lines(self) -> list[str]:
        out = []
        for kind, title in (("failed", "failed"), ("skipped", "skipped"), ("warnings", "warnings")):
            counts = self.by_kind[kind]
            if not counts:
                continue
            out.append(f"{title}, by reason:")
            for reason, count in counts.most_common(SHOWN_REASONS):
                first = self.first_line.get((kind, reason))
                out.append(f"  {count:>7}  {reason}" + (f" (first: line {first})" if first is not None else ""))
            if len(counts) > SHOWN_REASONS:
                out.append(f"  ... and {len(counts) - SHOWN_REASONS} more reasons (see the report)")
        return out


def reason_text(issue: Any) -> str:
    """One line for an error or warning (``path: message``), cut at 120 characters."""
    if isinstance(issue, dict):
        text = str(FieldError(issue.get("path") or "", str(issue.get("message", ""))))
    else:
        text = str(issue)
    return text if len(text) <= 120 else text[:117] + "..."


def report_writer(fh: TextIO, tally: Tally, *, dry_run: bool) -> OutcomesCallback:
    """Append each committed batch's outcomes to the report as the job goes, tallying reasons."""

    def write(decisions: Sequence[Decision]) -> None:
        lines = []
        for d in decisions:
            if dry_run or d.outcome != "inserted" or d.errors or d.cand.warnings:
                view = d.as_json()
                tally.add(view)
                if dry_run:
                    view = dry_run_view(view)
                lines.append(json.dumps(view, ensure_ascii=False, separators=(",", ":")))
            else:  # the common case: nothing to tally, formatted directly
                lines.append(d.as_line())
        fh.write("".join(line + "\n" for line in lines))

    return write


def tally_lines(text: str, tally: Tally) -> None:
    """Tally report lines written earlier (a resumed job's outcomes, read back from the database)."""
    for line in text.splitlines():
        if line.strip():
            tally.add(json.loads(line))


class ProgressBar:
    """The progress line on stderr, by bytes of the file read: share done, time left, counts; it
    fits the terminal's width, 80 columns and narrower (``progress_line``)."""

    def __init__(self, total: int, description: str, *, dry_run: bool) -> None:
        self.dry_run = dry_run
        self.line = ProgressLine(description, total)
        self.live = Live(self.line, console=Console(stderr=True), refresh_per_second=4, transient=False,
                         redirect_stdout=False, redirect_stderr=True)  # log lines print above it

    def __enter__(self) -> ProgressBar:
        self.live.start()
        return self

    def __exit__(self, exc_type: object, *_: Any) -> None:
        self.line.finished = exc_type is None and self.line.total > 0 and self.line.bytes_read >= self.line.total
        self.live.stop()
        if not self.live.console.is_interactive:  # the final line, printed once, ends like any other
            self.live.console.print()

    def update(self, done: BatchDone) -> None:
        c = done.counts
        self.line.update(done.bytes_read, f"{c.read:,} read, {c.failed:,} failed")
        self.live.refresh()


def summary_text(summary: ImportSummary, report: Path, tally: Tally, extra: Sequence[str] = ()) -> str:
    """What the command prints at the end: counts, warnings and failures by reason, ``extra``
    (readiness and known answers), and where the report is."""
    c = summary.counts.as_dict()
    title = "dry run (nothing written)" if summary.dry_run else f"import job {summary.job_id}"
    lines = [f"{title}: {summary.state}" + (f": {summary.error}" if summary.error else "")]
    for name, value in c.items():
        shown = DRY_RUN_OUTCOMES.get(name, name) if summary.dry_run else name
        lines.append(f"  {shown:<13}{value:>10}")
    lines.extend(tally.lines())
    lines.extend(extra)
    lines.append(f"report: {report}")
    return "\n".join(lines)
