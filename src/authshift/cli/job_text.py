"""How ``authshift imports`` and ``authshift exports`` print jobs for people: tables of recent jobs
(whole ids; newest first, so no date column: at 80 columns an id,
the state and the counts leave room for little else; ``show`` has the times) and one job as ``label  value`` lines. ``--json`` prints the admin API's
view instead, for scripts. Pure functions of the views, so they stay cheap to import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from authshift.migration.imports.progress import duration_text

LABEL = 11  # "  finished  " : the value column starts here


def size_text(size: int | None) -> str:
    if size is None:
        return "?"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def when(value: str | None) -> str:
    """``2026-12-03 16:04:05`` (UTC, as stored) from the view's ISO time."""
    return value.replace("T", " ").split(".")[0].removesuffix("Z") if value else ""


def progress_text(view: dict[str, Any]) -> str:
    """``45%, about 4m 10s left`` for an unfinished import, the state otherwise."""
    progress = view.get("progress") or {}
    if view["state"] not in ("queued", "running") or progress.get("percent") is None:
        return view["state"]
    left = progress.get("seconds_left")
    tail = f", about {duration_text(left)} left" if left is not None else ""
    return f"{view['state']}, {progress['percent']:.0f}% read{tail}"


def _lines(title: str, pairs: Sequence[tuple[str, Any]]) -> str:
    out = [title]
    out += [f"  {label:<{LABEL - 2}}{value}" for label, value in pairs if value not in (None, "", [])]
    return "\n".join(out)


def _state_cell(view: dict[str, Any]) -> str:
    percent = (view.get("progress") or {}).get("percent")
    return f"running {percent:.0f}%" if view["state"] == "running" and percent is not None else view["state"]


# Columns never wrapped: ids are copied whole, a state or a count cut in two misreads.
IMPORT_WHOLE = {"id", "state", "read", "failed"}
EXPORT_WHOLE = {"id", "state", "format", "users", "secrets"}


def import_rows(views: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    headers = ["id", "state", "file", "read", "failed"]
    rows = [[v["id"], _state_cell(v), v["file"]["name"], f"{v['counts']['read']:,}", f"{v['counts']['failed']:,}"]
            for v in views]
    return headers, rows


def import_text(view: dict[str, Any]) -> str:
    options = view["options"]
    c = view["counts"]
    chosen = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in options.items() if v not in (None, False, ""))
    pairs: list[tuple[str, Any]] = [
        ("state", progress_text(view) + (" (dry run: nothing written)" if view["dry_run"] else "")),
        ("file", f"{view['file']['name']} ({size_text(view['file']['size'])})"),
        ("options", chosen),
        ("counts", f"read {c['read']:,}, inserted {c['inserted']:,}, updated {c['updated']:,}, "
                   f"skipped {c['skipped']:,}, failed {c['failed']:,}"),
        ("created", f"{when(view['created_at'])} ({view['origin']})"),
        ("started", when(view["started_at"])),
        ("finished", when(view["finished_at"])),
        ("undone", when(view["undone_at"])),
        ("error", view["error"]),
    ]
    pairs += [("warning", w) for w in view.get("warnings", [])]
    return _lines(f"import job {view['id']}", pairs)


def export_rows(views: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    headers = ["id", "state", "format", "users", "secrets"]
    rows = [[v["id"], v["state"], v["options"].get("format", "?"), f"{v['counts']['users'] or 0:,}",
             "yes" if v["options"].get("include_secrets") else "no"] for v in views]
    return headers, rows


def export_text(view: dict[str, Any]) -> str:
    options, c = view["options"], view["counts"]
    filters = ", ".join(f"{k}={v}" for k, v in (options.get("filters") or {}).items())
    pairs: list[tuple[str, Any]] = [
        ("state", view["state"] + (" (files removed by retention)" if view["files_expired"] else "")),
        ("format", options.get("format")),
        ("fields", ", ".join(options.get("fields") or []) or "all"),
        ("filters", filters),
        ("secrets", "included" if options.get("include_secrets") else "not included"),
        ("encrypted", "with age" if options.get("encrypt_to") else ""),
        ("users", f"{c['users'] or 0:,} of {c['total']:,}" if c.get("total") is not None else f"{c['users'] or 0:,}"),
        ("written", f"{c['written']:,}" if c.get("written") is not None else ""),
        ("issues", f"{c['issues']:,} (see the report)" if c.get("issues") else ""),
        ("size", size_text(view["bytes"]) if view.get("bytes") is not None else ""),
        ("created", when(view["created_at"])),
        ("started", when(view["started_at"])),
        ("finished", when(view["finished_at"])),
        ("download", view["download"]),
        ("error", view["error"]),
    ]
    return _lines(f"export {view['id']}", pairs)
