"""The provider's HTTP endpoints: discovery, JWKS, authorize, token, userinfo, revocation,
introspection and RP-initiated logout. Routes parse, call ``authshift.oidc`` and render.

The token, revocation and introspection endpoints answer errors as RFC 6749 JSON (``error``,
``error_description``) with ``Cache-Control: no-store``, never as problem+json.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import FormData
from starlette.responses import JSONResponse, RedirectResponse, Response

from authshift.http.account_templates import MAX_RETURN_TO, PAGE_HEADERS, login_url, render_page
from authshift.http.browser import app_state, clear_session_cookie, client_ip, current_session
from authshift.http.csrf import FIELD_NAME, CsrfError, check_csrf
from authshift.http.login_pages import CONTINUE_PATH, csrf_failed, message_page
from authshift.logs import get_logger
from authshift.oidc.authorization import (
    DisplayError,
    RedirectError,
    add_query,
    decode_request,
    encode_request,
    issue_code,
    needs_login,
    validate_request,
)
from authshift.oidc.claims import user_claims
from authshift.oidc.client_auth import authenticate_client
from authshift.oidc.clients import get_client
from authshift.oidc.discovery import PATHS, provider_metadata
from authshift.oidc.errors import NO_STORE, OAuthError
from authshift.oidc.grants import GRANT_HANDLERS
from authshift.oidc.keys import public_jwks
from authshift.oidc.sessions import revoke_session
from authshift.oidc.token_status import introspect, revoke
from authshift.oidc.tokens import decode_own_jwt, verify_access_token
from authshift.storage.db import reading

router = APIRouter(include_in_schema=False)
log = get_logger("authshift.oidc")

FORM_TYPE = "application/x-www-form-urlencoded"


@router.get("/.well-known/openid-configuration")
async def discovery(request: Request) -> JSONResponse:
    metadata = provider_metadata(app_state(request).settings.public_issuer)
    return JSONResponse(metadata, headers={"Cache-Control": "public, max-age=300"})


@router.get(PATHS["jwks_uri"])
async def jwks(request: Request) -> JSONResponse:
    async with reading(app_state(request).engine) as conn:
        document = await public_jwks(conn)
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=60"}, media_type="application/jwk-set+json")


# --- authorization endpoint ------------------------------------------------------------------


def _redirect(url: str, status: int = 302) -> RedirectResponse:
    return RedirectResponse(url, status_code=status, headers=PAGE_HEADERS)


def _bad_request_page(request: Request, message: str) -> Response:
    return message_page(request, title="This sign-in request cannot be used", message=message, status=400)


async def _authorize(request: Request, pairs: list[tuple[str, str]]) -> Response:
    """OpenID Connect Core 3.1.2: validate, then answer with a code or send the user to sign in."""
    state = app_state(request)
    issuer = state.settings.public_issuer
    async with state.engine.begin() as conn:
        try:
            auth, _client = await validate_request(conn, pairs)
        except DisplayError as exc:
            return _bad_request_page(request, exc.message)
        except RedirectError as exc:
            return _redirect(exc.location(issuer))
        session = await current_session(conn, request)
        if not needs_login(auth, session):
            assert session is not None
            return _redirect(await issue_code(conn, auth, session, issuer=issuer,
                                              ttl_seconds=state.settings.oidc.authorization_code_ttl_seconds))
    if "none" in auth.prompt:
        return _redirect(RedirectError("login_required", "the user must sign in", auth.redirect_uri, auth.state).location(issuer))
    token = encode_request(state.secrets.secret_key, auth, state.settings.oidc.login_flow_ttl_seconds)
    continue_url = f"{CONTINUE_PATH}?{urlencode({'request': token})}"
    if len(continue_url) > MAX_RETURN_TO:
        return _redirect(RedirectError("invalid_request", "the request is too large", auth.redirect_uri, auth.state).location(issuer))
    return _redirect(login_url(continue_url))


@router.get(PATHS["authorization_endpoint"])
async def authorize_get(request: Request) -> Response:
    return await _authorize(request, list(request.query_params.multi_items()))


@router.post(PATHS["authorization_endpoint"])
async def authorize_post(request: Request) -> Response:
    form = await request.form()
    return await _authorize(request, [(k, v) for k, v in form.multi_items() if isinstance(v, str)])


@router.get(CONTINUE_PATH)
async def authorize_continue(request: Request) -> Response:
    """Back from the sign-in pages: answer the authorization request they carried."""
    state = app_state(request)
    issuer = state.settings.public_issuer
    token = request.query_params.get("request")
    auth = decode_request(state.secrets.secret_key, token)
    if auth is None:
        return _bad_request_page(request, "This sign-in took too long or the link is damaged. Go back to the application and start again.")
    async with state.engine.begin() as conn:
        client = await get_client(conn, auth.client_id)
        if client is None or auth.redirect_uri not in client.redirect_uris:
            return _bad_request_page(request, "The application that sent you here is no longer registered.")
        session = await current_session(conn, request)
        if needs_login(auth, session):
            return _redirect(login_url(f"{CONTINUE_PATH}?{urlencode({'request': token})}"), 303)
        assert session is not None
        return _redirect(await issue_code(conn, auth, session, issuer=issuer,
                                          ttl_seconds=state.settings.oidc.authorization_code_ttl_seconds))


# --- token, revocation, introspection ----------------------------------------------------------


async def _oauth_form(request: Request) -> dict[str, str]:
    """The form body of a back-channel request; parameters may not repeat (RFC 6749 3.2)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        raise OAuthError("invalid_request", f"the body must be {FORM_TYPE}")
    form: FormData = await request.form()
    out: dict[str, str] = {}
    for key, value in form.multi_items():
        if key in out:
            raise OAuthError("invalid_request", f"the {key} parameter is sent more than once")
        if isinstance(value, str):
            out[key] = value
    return out


def _server_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error at an OAuth endpoint", path=request.url.path, error_type=type(exc).__name__)
    return OAuthError("server_error", "an unexpected error happened; it has been logged", 500).response()


@router.post(PATHS["token_endpoint"])
async def token(request: Request) -> Response:
    """RFC 6749 3.2: authenticate the client, then hand the request to the grant's handler."""
    state = app_state(request)
    try:
        form = await _oauth_form(request)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "the grant_type parameter is required")
        async with reading(state.engine) as conn:
            client = await authenticate_client(conn, request.headers.get("authorization"), form)
        handler = GRANT_HANDLERS.get(grant_type)
        if handler is None:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
        if not client.allows_grant(grant_type):
            raise OAuthError("unauthorized_client", f"this client may not use grant_type {grant_type!r}")
        body = await handler(form, client, state, client_ip(request))
    except OAuthError as exc:
        return exc.response()
    except Exception as exc:  # noqa: BLE001 - the token endpoint answers in OAuth's error format
        return _server_error(request, exc)
    return JSONResponse(body, headers=NO_STORE)


@router.post(PATHS["revocation_endpoint"])
async def revocation(request: Request) -> Response:
    """RFC 7009 2.1."""
    state = app_state(request)
    try:
        form = await _oauth_form(request)
        async with state.engine.begin() as conn:
            client = await authenticate_client(conn, request.headers.get("authorization"), form)
            value = form.get("token")
            if not value:
                raise OAuthError("invalid_request", "the token parameter is required")
            await revoke(state, conn, client, value, form.get("token_type_hint"))
    except OAuthError as exc:
        return exc.response()
    except Exception as exc:  # noqa: BLE001
        return _server_error(request, exc)
    return Response(status_code=200, headers=NO_STORE)


@router.post(PATHS["introspection_endpoint"])
async def introspection(request: Request) -> Response:
    """RFC 7662 2.1: confidential clients (resource servers) only."""
    state = app_state(request)
    try:
        form = await _oauth_form(request)
        async with reading(state.engine) as conn:
            client = await authenticate_client(conn, request.headers.get("authorization"), form, allow_public=False)
            value = form.get("token")
            if not value:
                raise OAuthError("invalid_request", "the token parameter is required")
            body = await introspect(state, conn, client, value, form.get("token_type_hint"))
    except OAuthError as exc:
        return exc.response()
    except Exception as exc:  # noqa: BLE001
        return _server_error(request, exc)
    return JSONResponse(body, headers=NO_STORE)


# --- userinfo ----------------------------------------------------------------------------------


def _bearer_error(error: str | None, description: str, status: int) -> JSONResponse:
    """RFC 6750 section 3: the error goes in WWW-Authenticate as well as the body."""
    challenge = 'Bearer realm="authshift"' + (f', error="{error}", error_description="{description}"' if error else "")
    body = {"error": error or "invalid_request", "error_description": description}
    return JSONResponse(body, status_code=status, headers={"WWW-Authenticate": challenge, **NO_STORE})


async def _userinfo(request: Request, form_token: str | None) -> Response:
    """OpenID Connect Core 5.3: the claims of the token's scope about its user."""
    state = app_state(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    header_token = value.strip() if scheme.lower() == "bearer" else None
    if header_token and form_token:
        return _bearer_error("invalid_request", "send the access token once", 400)
    presented = header_token or form_token
    if not presented:
        return _bearer_error(None, "an access token is required", 401)
    async with reading(state.engine) as conn:
        info = await verify_access_token(state, conn, presented)
        if info is None or info.user_id is None:
            return _bearer_error("invalid_token", "the access token is not valid", 401)
        if "openid" not in info.scope:
            return _bearer_error("insufficient_scope", "the access token lacks the openid scope", 403)
        claims = await user_claims(conn, info.user_id, info.scope)
    return JSONResponse(claims, headers=NO_STORE)


@router.get(PATHS["userinfo_endpoint"])
async def userinfo_get(request: Request) -> Response:
    return await _userinfo(request, None)


@router.post(PATHS["userinfo_endpoint"])
async def userinfo_post(request: Request) -> Response:
    form_token = None
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == FORM_TYPE:
        value = (await request.form()).get("access_token")
        form_token = value if isinstance(value, str) and value else None
    return await _userinfo(request, form_token)


# --- RP-initiated logout -----------------------------------------------------------------------


async def _logout(request: Request, params: dict[str, str], *, confirmed: bool) -> Response:
    """OpenID Connect RP-Initiated Logout 1.0 section 2-3.

    ``post_logout_redirect_uri`` must be registered exactly for the client (named by the
    ``id_token_hint``'s audience or ``client_id``); otherwise no redirect happens. With a valid
    ``id_token_hint`` for this browser's session the user is signed out at once; otherwise they
    confirm first (a form with a CSRF token)."""
    state = app_state(request)
    hint_token = params.get("id_token_hint")
    redirect_uri = params.get("post_logout_redirect_uri")
    async with state.engine.begin() as conn:
        hint: dict[str, Any] | None = None
        if hint_token:
            hint = await decode_own_jwt(conn, hint_token, issuer=state.settings.public_issuer, typ=None,
                                        check_expiry=False, include_unpublished=True)
            if hint is None:
                return _bad_request_page(request, "The sign-out request is not valid (id_token_hint).")
        client_id = params.get("client_id")
        if hint is not None:
            audience = hint.get("aud")
            hinted = audience if isinstance(audience, str) else (audience[0] if isinstance(audience, list) and audience else None)
            if client_id and hinted != client_id:
                return _bad_request_page(request, "The sign-out request names two different applications.")
            client_id = hinted
        client = await get_client(conn, client_id) if client_id else None
        if redirect_uri and (client is None or redirect_uri not in client.post_logout_redirect_uris):
            return _bad_request_page(request, "The address to return to after signing out is not registered for this application.")
        session = await current_session(conn, request)
        hinted_sid = hint.get("sid") if hint else None
        if not confirmed and not (hint is not None and (session is None or str(session.id) == hinted_sid)):
            return _confirm_logout(request, params, client.name if client else None)
        for sid in {str(session.id) if session else None, hinted_sid} - {None}:
            await _revoke_session_by_id(conn, sid)
    if redirect_uri:
        target = add_query(redirect_uri, {"state": params["state"]}) if params.get("state") else redirect_uri
        response: Response = _redirect(target, 303)
    else:
        response = message_page(request, title="You have signed out", message="You have signed out of this device.", status=200)
    clear_session_cookie(response, state)
    return response


async def _revoke_session_by_id(conn: AsyncConnection, sid: str) -> None:
    try:
        session_id = uuid.UUID(sid)
    except ValueError:
        return
    await revoke_session(conn, session_id, "signed out")


def _confirm_logout(request: Request, params: dict[str, str], client_name: str | None) -> Response:
    keep = {k: v for k, v in params.items() if k in ("id_token_hint", "post_logout_redirect_uri", "state", "client_id")}
    return render_page(request, "logout.html", params=keep, client_name=client_name)


@router.get(PATHS["end_session_endpoint"])
async def logout_get(request: Request) -> Response:
    return await _logout(request, dict(request.query_params), confirmed=False)


@router.post(PATHS["end_session_endpoint"])
async def logout_post(request: Request) -> Response:
    form = await request.form()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    confirmed = FIELD_NAME in params
    if confirmed:
        try:
            check_csrf(request, params[FIELD_NAME])
        except CsrfError:
            return csrf_failed(request)
    return await _logout(request, params, confirmed=confirmed)
