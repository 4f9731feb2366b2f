"""The FastAPI application factory. Feature routers are listed in ``ROUTERS``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from authshift import __version__
from authshift.config import Settings
from authshift.console.app import install_console
from authshift.console.snapshots import snapshot_round, snapshot_seconds
from authshift.events.delivery import start_delivery_worker
from authshift.http import account_area, account_security, login_pages, pages_account, passkey_pages
from authshift.http import migration as migration_api
from authshift.http import oidc as oidc_http
from authshift.http.admin import clients as admin_clients
from authshift.http.admin import deliveries as admin_deliveries
from authshift.http.admin import exports as admin_exports
from authshift.http.admin import imports as admin_imports
from authshift.http.admin import readiness as admin_readiness
from authshift.http.admin import sessions as admin_sessions
from authshift.http.admin import users as admin_users
from authshift.http.admin import webhooks as admin_webhooks
from authshift.http.openapi import install_openapi
from authshift.http.overload import ShedLoad
from authshift.http.problems import install_problem_handlers
from authshift.http.security_headers import StrictTransportSecurity
from authshift.jobs.schedule import Every, housekeeping
from authshift.logs import configure_logging
from authshift.mail.delivery import start_mail_worker
from authshift.migration.exports.jobs import start_export_worker
from authshift.migration.imports.runner import SWEEP_EVERY_SECONDS, start_import_runner, sweep_idle_uploads
from authshift.migration.rolling.lazy import attach_legacy
from authshift.migration.token_exchange import grant as token_exchange_grant  # noqa: F401  (registers the grant)
from authshift.migration.token_exchange import housekeeping as token_exchange_housekeeping
from authshift.oidc import housekeeping as oidc_housekeeping
from authshift.oidc.housekeeping import start_oidc
from authshift.retention import PRUNE_EVERY_SECONDS, apply_retention
from authshift.state import AppState, build_state
from authshift.storage.migrate import upgrade_async

ROUTERS: list[APIRouter] = [
    admin_users.router, admin_clients.router, oidc_http.router, login_pages.router, pages_account.router, passkey_pages.router, account_area.router, account_security.router,
    admin_webhooks.router, admin_deliveries.router, migration_api.router, admin_exports.router, admin_sessions.router,
    admin_imports.router, admin_readiness.router,
]

# Housekeeping: pruning and snapshots, each at its interval, run in turn by one loop (jobs.schedule).
HOUSEKEEPING: list[Every] = [
    Every("oidc pruning", lambda _: oidc_housekeeping.PRUNE_EVERY_SECONDS, oidc_housekeeping.prune_once, at_start=False),
    Every("token-exchange claims pruning", lambda _: token_exchange_housekeeping.PRUNE_EVERY_SECONDS,
          token_exchange_housekeeping.prune_expired_claims),
    Every("console-snapshots", snapshot_seconds, snapshot_round),  # before retention prunes the events it counts
    Every("retention", lambda _: PRUNE_EVERY_SECONDS, apply_retention),
    Every("import uploads sweep", lambda _: SWEEP_EVERY_SECONDS, sweep_idle_uploads, at_start=False),
]

# Background work started with the app (outbox delivery, job runners, housekeeping): each gets the
# state and returns an awaitable that stops it.
BackgroundStarter = Callable[[AppState], Awaitable[Callable[[], Awaitable[None]]]]
BACKGROUND: list[BackgroundStarter] = [
    start_oidc, start_mail_worker, start_delivery_worker, start_export_worker, start_import_runner,
    housekeeping(HOUSEKEEPING),
]


def create_app(settings: Settings, *, migrate: bool = False, background: bool = True) -> FastAPI:
    configure_logging(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await upgrade_async(settings.database_url)
        state = build_state(settings)
        app.state.authshift = state
        close_legacy = attach_legacy(state)  # sets state.legacy when [migration.legacy] is configured
        stoppers = [await start(state) for start in BACKGROUND] if background else []
        try:
            yield
        finally:
            for stop in reversed(stoppers):
                await stop()
            await close_legacy()
            await state.close()

    app = FastAPI(
        title="authshift admin API",
        version=__version__,
        openapi_url="/api/admin/openapi.json",
        docs_url="/api/admin/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    if settings.public_issuer.startswith("https://"):
        app.add_middleware(StrictTransportSecurity)
    app.add_middleware(ShedLoad, limit=settings.max_queue_depth)
    install_openapi(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for router in ROUTERS:
        app.include_router(router)
    install_console(app)
    return app
