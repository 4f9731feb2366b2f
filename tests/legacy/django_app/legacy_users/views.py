"""The endpoints authshift calls (issue 7): verify, lookup and write-back, all signed.

verify    POST {"login_id", "password"} -> 200 user record | 401 wrong password or inactive | 404 unknown
lookup    POST {"login_id"}             -> 200 user record | 404 unknown
writeback POST an authshift event       -> 200 {"status": "created|updated|deleted|not_found|ignored|duplicate"}
Every one answers 401 unless the request carries a valid Standard Webhooks signature, 400 for a
malformed body, 409 when the login id or record is ambiguous or clashes with another user.
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from legacy_users.models import ProcessedWebhook
from legacy_users.records import (
    RecordConflict,
    RecordError,
    create_legacy_user,
    delete_user,
    find_user,
    upsert_user,
    user_record,
)
from legacy_users.signatures import SignatureRejected, check_request


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status=status)


def _json_object(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RecordError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise RecordError("the body must be a JSON object")
    return body


def _login_id(body: dict[str, Any]) -> str:
    login_id = body.get("login_id")
    if not isinstance(login_id, str) or not login_id.strip():
        raise RecordError("login_id must be a non-empty string")
    return login_id.strip()


def signed_json_endpoint(view: Callable[[HttpRequest, dict[str, Any], str], JsonResponse]):
    """POST only, signature checked before anything else, JSON object body, errors as JSON."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest) -> JsonResponse:
        try:
            webhook_id = check_request(request)
        except SignatureRejected as rejected:
            return _error(401, "invalid_signature", str(rejected))
        try:
            return view(request, _json_object(request), webhook_id)
        except RecordError as error:
            return _error(400, "invalid_request", str(error))
        except RecordConflict as conflict:
            return _error(409, "conflict", str(conflict))

    return wrapper


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return _error(404, "not_found", "no such endpoint")


def server_error(request: HttpRequest) -> JsonResponse:
    return _error(500, "server_error", "the legacy application failed")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@signed_json_endpoint
def verify(request: HttpRequest, body: dict[str, Any], webhook_id: str) -> JsonResponse:
    login_id = _login_id(body)
    password = body.get("password")
    if not isinstance(password, str) or not password:
        raise RecordError("password must be a non-empty string")
    user = find_user(login_id)
    if user is None:
        make_password(password)  # as Django's ModelBackend: an unknown user costs one hash too
        return _error(404, "unknown_user", "no user with this login id")
    # check_password upgrades an outdated hash to the first PASSWORD_HASHERS entry, as a login here would.
    if not user.check_password(password):
        return _error(401, "invalid_password", "wrong password")
    if not user.is_active:
        return _error(401, "inactive", "the user is deactivated")
    return JsonResponse(user_record(user))


@signed_json_endpoint
def lookup(request: HttpRequest, body: dict[str, Any], webhook_id: str) -> JsonResponse:
    user = find_user(_login_id(body))
    if user is None:
        return _error(404, "unknown_user", "no user with this login id")
    return JsonResponse(user_record(user))


@signed_json_endpoint
def writeback(request: HttpRequest, body: dict[str, Any], webhook_id: str) -> JsonResponse:
    event_type = body.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise RecordError("type must be a non-empty string")
    data = body.get("data", {})
    record = data.get("user") if isinstance(data, dict) else None
    if record is not None and not isinstance(record, dict):
        raise RecordError("data.user must be an object")
    try:
        with transaction.atomic():
            if ProcessedWebhook.objects.filter(webhook_id=webhook_id).exists():
                return JsonResponse({"status": "duplicate", "webhook_id": webhook_id})
            if record is None:
                outcome, user_id = "ignored", None
            elif event_type == "user.deleted":
                outcome, user_id = delete_user(record)
            else:
                outcome, user_id = upsert_user(event_type, record)
            ProcessedWebhook.objects.create(
                webhook_id=webhook_id, event_type=event_type, outcome=outcome, user_id=user_id, payload=body
            )
    except IntegrityError:
        if ProcessedWebhook.objects.filter(webhook_id=webhook_id).exists():  # a concurrent delivery won
            return JsonResponse({"status": "duplicate", "webhook_id": webhook_id})
        raise RecordConflict("the user clashes with another legacy user") from None
    return JsonResponse({"status": outcome, "webhook_id": webhook_id, "user_id": user_id})


@signed_json_endpoint
def control_users(request: HttpRequest, body: dict[str, Any], webhook_id: str) -> JsonResponse:
    """Test control: create users the way this application does (only with LEGACY_ENABLE_CONTROL=1)."""
    if not settings.LEGACY_ENABLE_CONTROL:
        return _error(404, "not_found", "the control surface is disabled")
    specs = body["users"] if isinstance(body.get("users"), list) else [body]
    with transaction.atomic():
        users = [create_legacy_user(spec if isinstance(spec, dict) else {}) for spec in specs]
    return JsonResponse({"users": [user_record(user) for user in users]}, status=201)
