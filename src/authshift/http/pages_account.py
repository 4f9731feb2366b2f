"""Self-service account pages: sign-up, forgot password, reset by emailed link.

Routes parse the form, call a service in ``authshift.accounts`` and render. Every form carries a
CSRF token; after sign-up or a reset the person goes to ``/login`` with the original
``return_to`` (the authorization request) preserved. No login session is created here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from authshift.accounts.password_reset import InvalidResetLink, check_reset_token, request_password_reset, reset_password
from authshift.accounts.signup import AccountExists, SignUpsClosed, TooManySignups, policy_for, sign_up
from authshift.errors import InvalidInput, Unavailable
from authshift.http.account_templates import PAGE_HEADERS, login_url, render_page, safe_return_to
from authshift.http.browser import client_ip
from authshift.http.csrf import FIELD_NAME, CsrfError, check_csrf
from authshift.http.deps import get_state
from authshift.mail.delivery import deliver_due
from authshift.state import AppState

router = APIRouter(include_in_schema=False)

MAX_FIELD_LENGTH = 4096


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:MAX_FIELD_LENGTH] if isinstance(value, str) else ""


def _field_errors(exc: InvalidInput) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for err in exc.errors:
        out[err.path].append(err.message)
    return dict(out)


FormHandler = Callable[[Request, AppState, FormData], Awaitable[Response]]


def form_post(path: str) -> Callable[[FormHandler], FormHandler]:
    """Register ``POST path``: the form is read and its CSRF token checked before ``handler`` runs;
    a bad token gets the "form expired" page (403), a legacy system that cannot answer the
    "try again shortly" page (503)."""

    def register(handler: FormHandler) -> FormHandler:
        async def endpoint(request: Request) -> Response:
            try:
                form = await request.form()
                check_csrf(request, _text(form, FIELD_NAME))
                return await handler(request, get_state(request), form)
            except CsrfError:
                return render_page(request, "account/form_expired.html", status=403, again=request.url.path)
            except Unavailable:
                return render_page(request, "account/try_again.html", status=503)

        router.add_api_route(path, endpoint, methods=["POST"], name=handler.__name__)
        return handler

    return register


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)


# --- sign-up ---------------------------------------------------------------------------------------


def _signup_closed(request: Request, state: AppState, *, status: int) -> Response:
    signup_url = state.settings.migration.legacy.signup_url
    if signup_url and request.method == "GET":
        return _redirect(signup_url)
    return render_page(request, "account/signup_closed.html", status=status, signup_url=signup_url)


def _signup_form(request: Request, state: AppState, *, status: int = 200, **context: Any) -> Response:
    return_to = context.pop("return_to", None)
    return render_page(
        request, "account/signup.html", status=status, hints=policy_for(state).hints(), return_to=return_to,
        login_url=login_url(return_to), errors=context.pop("errors", {}), **context,
    )


@router.get("/signup")
async def signup_page(request: Request) -> Response:
    state = get_state(request)
    if state.settings.migration.new_signups == "legacy":
        return _signup_closed(request, state, status=200)
    return _signup_form(request, state, return_to=safe_return_to(request.query_params.get("return_to")), email="")


@form_post("/signup")
async def signup_submit(request: Request, state: AppState, form: FormData) -> Response:
    email, return_to = _text(form, "email"), safe_return_to(_text(form, "return_to"))
    try:
        await sign_up(state, email=email, password=_text(form, "password"), password_confirm=_text(form, "password_confirm"),
                      ip=client_ip(request))
    except SignUpsClosed:
        return _signup_closed(request, state, status=403)
    except TooManySignups as exc:
        page = _signup_form(request, state, status=429, return_to=return_to, email=email,
                            errors={"email": [exc.detail]})
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except InvalidInput as exc:
        return _signup_form(request, state, status=422, return_to=return_to, email=email, errors=_field_errors(exc))
    except AccountExists:
        return _signup_form(request, state, status=409, return_to=return_to, email=email, account_exists=True)
    # with existing_email = "email_owner" a taken email gets this same answer (its owner is emailed)
    same_either_way = state.settings.signup.existing_email == "email_owner"
    return _redirect(login_url(return_to, notice="signup_received" if same_either_way else "signed_up"))


# --- forgot password -------------------------------------------------------------------------------


@router.get("/forgot-password")
async def forgot_password_page(request: Request) -> Response:
    return render_page(
        request, "account/forgot_password.html", errors={}, login_id=request.query_params.get("login_id", "")[:320],
        return_to=safe_return_to(request.query_params.get("return_to")),
    )


@form_post("/forgot-password")
async def forgot_password_submit(request: Request, state: AppState, form: FormData) -> Response:
    login_id, return_to = _text(form, "login_id"), safe_return_to(_text(form, "return_to"))
    try:
        message_id = await request_password_reset(state, login_id, return_to=return_to)
    except InvalidInput as exc:
        return render_page(
            request, "account/forgot_password.html", status=422, errors=_field_errors(exc), login_id=login_id,
            return_to=return_to,
        )
    response = render_page(
        request, "account/forgot_password_sent.html", login_id=login_id.strip(), login_url=login_url(return_to),
        minutes=state.settings.password_reset.token_ttl_minutes,
    )
    if message_id is not None and state.settings.smtp.enabled:
        response.background = BackgroundTask(deliver_due, state, message_id=message_id)
    return response


# --- reset by link ---------------------------------------------------------------------------------


def _reset_form(request: Request, state: AppState, token: str, return_to: str | None, *, status: int = 200,
                errors: dict[str, list[str]] | None = None) -> Response:
    return render_page(
        request, "account/reset_password.html", status=status, token=token, return_to=return_to,
        hints=policy_for(state).hints(), errors=errors or {},
    )


def _link_invalid(request: Request, return_to: str | None) -> Response:
    again = "/forgot-password" + (f"?{urlencode({'return_to': return_to})}" if return_to else "")
    return render_page(request, "account/reset_link_invalid.html", status=400, again=again)


@router.get("/reset-password")
async def reset_password_page(request: Request) -> Response:
    state = get_state(request)
    token = request.query_params.get("token", "")
    return_to = safe_return_to(request.query_params.get("return_to"))
    try:
        await check_reset_token(state, token)
    except InvalidResetLink:
        return _link_invalid(request, return_to)
    return _reset_form(request, state, token, return_to)


@form_post("/reset-password")
async def reset_password_submit(request: Request, state: AppState, form: FormData) -> Response:
    token, return_to = _text(form, "token"), safe_return_to(_text(form, "return_to"))
    try:
        await reset_password(state, token=token, password=_text(form, "password"), password_confirm=_text(form, "password_confirm"))
    except InvalidResetLink:
        return _link_invalid(request, return_to)
    except InvalidInput as exc:
        return _reset_form(request, state, token, return_to, status=422, errors=_field_errors(exc))
    return _redirect(login_url(return_to, notice="password_reset"))
