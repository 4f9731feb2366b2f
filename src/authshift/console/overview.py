"""The Overview page: how far the migration has come and whether its machinery is healthy."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from authshift.console import charts, overview_data as data
from authshift.console.access import CurrentOperator
from authshift.console.changes import ChangeForm, audit_change
from authshift.console.rendering import render
from authshift.console.snapshots import ACTIVE_DAYS, take_snapshot
from authshift.http.account_templates import PAGE_HEADERS
from authshift.storage.db import reading
from authshift.storage.types import utcnow

router = APIRouter(include_in_schema=False)

VIA_LABELS = {"legacy": "signed in (legacy password)", "token_exchange": "token exchange", "passkey": "passkey",
              "admin_session": "admin-minted session", "password": "signed in", "unknown": "other"}


@router.get("/console/")
async def overview(request: Request, operator: CurrentOperator, source: str | None = None) -> Response:
    state = request.app.state.authshift
    today = utcnow().date()
    async with reading(state.engine) as conn:
        live = await data.live_counts(conn)
        all_sources = await data.sources(conn)
        chosen = source if source in all_sources else None
        rows = await data.snapshot_rows(conn, today - timedelta(days=data.HISTORY_DAYS - 1), chosen)
        unfiltered = rows if chosen is None else await data.snapshot_rows(conn, today - timedelta(days=1), None)
        moves = await data.moves(conn, today - timedelta(days=data.MOVES_DAYS))
        webhooks = await data.webhook_health(conn)
    days, series = data.burn_down(rows)
    moves_days = [today - timedelta(days=i) for i in range(data.MOVES_DAYS - 1, -1, -1)]
    migrated_per_day = {d: sum(moves.get("via", {}).get(d, {}).values()) for d in moves_days}
    exchanges_per_day = {d: sum(moves.get("token_exchange", {}).get(d, {}).values()) for d in moves_days}
    by_via: dict[str, int] = {}
    for per in moves.get("via", {}).values():
        for via, n in per.items():
            by_via[VIA_LABELS.get(via, via)] = by_via.get(VIA_LABELS.get(via, via), 0) + n
    by_cohort: dict[str, int] = {}
    for per in moves.get("cohort", {}).values():
        for cohort, n in per.items():
            by_cohort[cohort] = by_cohort.get(cohort, 0) + n
    burn_lines, burn_top = charts.lines(series) if days else ([], 0)
    return render(
        request, "overview.html", operator=operator, title="Overview", active="overview",
        live=live, state_bars=charts.bars(list(live["by_state"].items())),
        readiness_bars=charts.bars(list(live["by_readiness"].items())),
        snapshot_day=max(days) if days else None, sources=all_sources, source=chosen,
        burn_days=days, burn_series=series, burn_lines=burn_lines, burn_top=burn_top,
        by_source=data.by_source(unfiltered), active_days=ACTIVE_DAYS,
        migrated_columns=charts.columns([(d.isoformat(), migrated_per_day[d]) for d in moves_days]),
        exchange_columns=charts.columns([(d.isoformat(), exchanges_per_day[d]) for d in moves_days]),
        migrated_total=sum(migrated_per_day.values()), exchanges_total=sum(exchanges_per_day.values()),
        via_bars=charts.bars(sorted(by_via.items(), key=lambda kv: -kv[1])),
        cohort_bars=charts.bars(sorted(by_cohort.items(), key=lambda kv: -kv[1])),
        moves_days=data.MOVES_DAYS, rate_days=data.RATE_DAYS,
        projection=data.projection(unfiltered, migrated_per_day, today),
        connector=data.connector_health(state), webhooks=webhooks, chart=charts,
        refreshed=request.query_params.get("notice") == "refreshed",
    )


@router.post("/console/overview/refresh")
async def refresh(request: Request, operator: CurrentOperator, _form: ChangeForm) -> Response:
    """Take the day's snapshot now instead of waiting for the next round."""
    state = request.app.state.authshift
    day = await take_snapshot(state.engine)
    async with state.engine.begin() as conn:
        await audit_change(conn, operator, "console.snapshot_taken", day.isoformat())
    return RedirectResponse("/console/?notice=refreshed", status_code=303, headers=PAGE_HEADERS)
