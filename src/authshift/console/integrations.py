"""The Integrations page (issue 16): OIDC clients (list, create with the secret shown once,
delete), webhook endpoints (list, create with the secret shown once, delete) and their recent
deliveries (redeliver a dead one), the legacy token issuers (read-only, from configuration), and
admin API keys (list, create shown once, revoke). The services of the admin API and the CLI;
every change audited under the operator. A secret is shown once, on the page that created it
(``Cache-Control: no-store``), never again."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from authshift.console.access import CurrentOperator
from authshift.console.changes import ChangeForm, audit_change
from authshift.console.oidc_client import CLIENT_ID as CONSOLE_CLIENT_ID
from authshift.console.rendering import render
from authshift.errors import AuthshiftError, Conflict, NotFound
from authshift.events import delivery, webhooks
from authshift.http.account_templates import PAGE_HEADERS
from authshift.oidc import clients
from authshift.security.admin_keys import create_admin_key, list_admin_keys, revoke_admin_key
from authshift.storage.db import reading

router = APIRouter(include_in_schema=False)
HERE = "/console/integrations"
ISSUER_FIELDS = ("name", "type", "enabled", "issuer", "jwks_uri", "introspection_endpoint", "url", "audiences",
                 "algorithms", "on_unknown_user")  # never the secrets (secret, client_secret)


def _lines(value: Any) -> list[str]:
    return [part.strip() for part in str(value or "").replace(",", "\n").splitlines() if part.strip()]


def _done(notice: str) -> Response:
    return RedirectResponse(f"{HERE}?notice={notice}", status_code=303, headers=PAGE_HEADERS)


async def _page(request: Request, operator: Any, *, status: int = 200, error: str | None = None,
                created: dict[str, Any] | None = None) -> Response:
    state = request.app.state.authshift
    async with reading(state.engine) as conn:
        found_clients = await clients.list_clients(conn)
        endpoints = await webhooks.list_endpoints(conn)
        recent, _ = await delivery.list_deliveries(conn, delivery.DeliveryFilter(), limit=25, before=None)
        keys = await list_admin_keys(conn)
    issuers = [{k: getattr(i, k) for k in ISSUER_FIELDS} for i in state.settings.migration.token_exchange.issuers]
    return render(request, "integrations.html", operator=operator, title="Integrations", active="integrations",
                  status=status, error=error, created=created, notice=request.query_params.get("notice"),
                  clients=found_clients, console_client=CONSOLE_CLIENT_ID, webhooks=endpoints, deliveries=recent,
                  issuers=issuers, admin_keys=keys)


def _problem(exc: AuthshiftError) -> str:
    return exc.detail + "".join(f"; {e.path}: {e.message}" for e in exc.errors)


@router.get(HERE)
async def integrations_page(request: Request, operator: CurrentOperator) -> Response:
    return await _page(request, operator)


@router.post(HERE + "/clients")
async def create_client(request: Request, operator: CurrentOperator, form: ChangeForm) -> Response:
    spec = clients.ClientSpec(name=str(form.get("name") or ""), redirect_uris=_lines(form.get("redirect_uris")),
                              public=form.get("public") == "true")
    try:
        async with request.app.state.authshift.engine.begin() as conn:
            client, secret = await clients.create_client(conn, spec)
            await audit_change(conn, operator, "client.created", target=client.client_id)
    except AuthshiftError as exc:
        return await _page(request, operator, status=exc.status, error=_problem(exc))
    return await _page(request, operator, status=201, created={
        "what": f"OIDC client {client.name}", "id": client.client_id, "secret": secret, "label": "client secret"})


@router.post(HERE + "/clients/{client_id}/delete")
async def delete_client(request: Request, client_id: str, operator: CurrentOperator, form: ChangeForm) -> Response:
    if client_id == CONSOLE_CLIENT_ID:
        raise Conflict("the console signs operators in with this client; it cannot be deleted here")
    async with request.app.state.authshift.engine.begin() as conn:
        await clients.delete_client(conn, client_id)
        await audit_change(conn, operator, "client.deleted", target=client_id)
    return _done("client-deleted")


@router.post(HERE + "/webhooks")
async def create_webhook(request: Request, operator: CurrentOperator, form: ChangeForm) -> Response:
    state = request.app.state.authshift
    body = {"url": str(form.get("url") or ""), "event_types": _lines(form.get("event_types")) or ["*"],
            "description": str(form.get("description") or "") or None}
    try:
        async with state.engine.begin() as conn:
            endpoint, secret = await webhooks.create_endpoint(
                conn, body, settings=state.settings.delivery, box=webhooks.endpoint_secret_box(state.secrets.encryption_key))
            await audit_change(conn, operator, "webhook.created", target=endpoint["id"],
                               details={"url": endpoint["url"], "event_types": endpoint["event_types"]})
    except AuthshiftError as exc:
        return await _page(request, operator, status=exc.status, error=_problem(exc))
    return await _page(request, operator, status=201, created={
        "what": f"webhook endpoint {endpoint['url']}", "id": endpoint["id"], "secret": secret, "label": "signing secret"})


@router.post(HERE + "/webhooks/{endpoint_id}/delete")
async def delete_webhook(request: Request, endpoint_id: uuid.UUID, operator: CurrentOperator, form: ChangeForm) -> Response:
    async with request.app.state.authshift.engine.begin() as conn:
        await webhooks.delete_endpoint(conn, endpoint_id)
        await audit_change(conn, operator, "webhook.deleted", target=str(endpoint_id))
    return _done("webhook-deleted")


@router.post(HERE + "/deliveries/{delivery_id}/redeliver")
async def redeliver(request: Request, delivery_id: uuid.UUID, operator: CurrentOperator, form: ChangeForm) -> Response:
    async with request.app.state.authshift.engine.begin() as conn:
        await delivery.redeliver(conn, delivery_id)
        await audit_change(conn, operator, "delivery.redelivered", target=str(delivery_id))
    return _done("redelivered")


@router.post(HERE + "/admin-keys")
async def create_key(request: Request, operator: CurrentOperator, form: ChangeForm) -> Response:
    name = str(form.get("name") or "").strip() or "admin"
    async with request.app.state.authshift.engine.begin() as conn:
        new = await create_admin_key(conn, name)
        await audit_change(conn, operator, "admin_key.created", target=new.key.id, details={"name": name})
    return await _page(request, operator, status=201, created={
        "what": f"admin API key {name}", "id": new.key.id, "secret": new.plaintext, "label": "key"})


@router.post(HERE + "/admin-keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str, operator: CurrentOperator, form: ChangeForm) -> Response:
    async with request.app.state.authshift.engine.begin() as conn:
        if not await revoke_admin_key(conn, key_id):
            raise NotFound(f"no active admin key with id {key_id!r}")
        await audit_change(conn, operator, "admin_key.revoked", target=key_id)
    return _done("key-revoked")
