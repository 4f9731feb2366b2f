"""WebAuthn ceremonies with py_webauthn: registration options and verification, sign-in options and
verification. No hand-written parsing: attestation objects, client data, COSE keys and signatures
are the library's job; this module adds what it leaves to the Relying Party.

- ``[webauthn]`` settings: the RP ID (``Settings.webauthn_rp_id``), the allowed origins, the
  attestation preference and the user verification requirement.
- Challenges: 32 random bytes, one row each (``webauthn_challenges``), deleted by the ceremony
  that presents them, so a challenge is used once across every process; expired ones are
  removed whenever a new one is made.
- Registration asks for a discoverable credential (``residentKey: required``) so the passkey can
  sign in without a login ID; the user handle is the one already on the user's other passkeys
  (imported ones keep the legacy system's), else an opaque 32-byte HMAC of the user ID.
- Sign-in: the library is given a stored counter of zero, so its own "must increase" check never
  fires, and ``passkeys.judge_sign_count`` applies authshift's rule (see that module).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import webauthn
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from authshift.accounts.passkey_tables import webauthn_challenges
from authshift.accounts.passkeys import (
    CounterVerdict,
    add_passkey,
    clean_name,
    credential_row,
    credential_rows,
    default_name,
    find_credential,
    judge_sign_count,
    record_use,
)
from authshift.logs import get_logger
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from authshift.accounts.services import AccountServices

log = get_logger("authshift.passkeys")
TRANSPORTS = frozenset(t.value for t in AuthenticatorTransport)


class PasskeyRefused(Exception):
    """A ceremony that did not succeed; ``str()`` is what the person is told (no internals)."""


@dataclass(frozen=True)
class Assertion:
    user_id: uuid.UUID
    user_verified: bool


async def _new_challenge(conn: AsyncConnection, state: AccountServices, purpose: str, user_id: uuid.UUID | None) -> tuple[uuid.UUID, bytes]:
    now = utcnow()
    await conn.execute(webauthn_challenges.delete().where(webauthn_challenges.c.expires_at < now))
    challenge, challenge_id = os.urandom(32), uuid.uuid4()
    await conn.execute(webauthn_challenges.insert(), [{
        "id": challenge_id, "challenge": bytes_to_base64url(challenge), "purpose": purpose, "user_id": user_id,
        "expires_at": now + timedelta(seconds=state.settings.webauthn.timeout_seconds),
    }])
    return challenge_id, challenge


async def _take_challenge(conn: AsyncConnection, challenge_id: str, purpose: str, user_id: uuid.UUID | None) -> bytes:
    """The challenge of a ceremony in progress, deleted as it is read (used once)."""
    try:
        key = uuid.UUID(challenge_id)
    except (ValueError, TypeError, AttributeError):
        raise PasskeyRefused("This passkey request has expired. Try again.") from None
    row = (await conn.execute(sa.select(webauthn_challenges).where(webauthn_challenges.c.id == key))).mappings().first()
    deleted = await conn.execute(webauthn_challenges.delete().where(webauthn_challenges.c.id == key))
    if row is None or not deleted.rowcount or row["purpose"] != purpose or row["expires_at"] < utcnow() \
            or row["user_id"] != user_id:
        raise PasskeyRefused("This passkey request has expired. Try again.")
    return base64url_to_bytes(row["challenge"])


def _uv(state: AccountServices) -> UserVerificationRequirement:
    return UserVerificationRequirement(state.settings.webauthn.user_verification)


def _descriptor(row: dict[str, Any]) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in row["transports"] or [] if t in TRANSPORTS]
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(row["credential_id"]), transports=transports or None)


async def registration_options(state: AccountServices, conn: AsyncConnection, user_id: uuid.UUID, user_name: str,
                               display_name: str | None = None) -> dict[str, Any]:
    """``{"challengeId", "publicKey"}``: what ``navigator.credentials.create()`` needs for a new passkey."""
    existing = await credential_rows(conn, user_id)
    handle = base64url_to_bytes(existing[-1]["user_handle"]) if existing else _new_handle(state, user_id)
    challenge_id, challenge = await _new_challenge(conn, state, "register", user_id)
    cfg = state.settings.webauthn
    options = webauthn.generate_registration_options(
        rp_id=state.settings.webauthn_rp_id, rp_name=cfg.rp_name, user_name=user_name, user_id=handle,
        user_display_name=display_name or user_name, challenge=challenge, timeout=cfg.timeout_seconds * 1000,
        attestation=AttestationConveyancePreference(cfg.attestation),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, require_resident_key=True, user_verification=_uv(state)),
        exclude_credentials=[_descriptor(r) for r in existing],
    )
    return {"challengeId": str(challenge_id), "publicKey": json.loads(options_to_json(options))}


async def finish_registration(state: AccountServices, conn: AsyncConnection, user_id: uuid.UUID, challenge_id: str,
                              credential: Any, name: str | None) -> dict[str, Any]:
    """Verify ``navigator.credentials.create()``'s answer and store the passkey; returns its row."""
    challenge = await _take_challenge(conn, challenge_id, "register", user_id)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=state.settings.webauthn_rp_id,
            expected_origin=state.settings.webauthn_origins,
            require_user_verification=state.settings.webauthn.user_verification == "required",
        )
    except WebAuthnException as exc:
        log.info("a passkey registration was refused", user_id=str(user_id), reason=str(exc))
        raise PasskeyRefused("The passkey could not be registered. Try again.") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if await find_credential(conn, credential_id) is not None:
        raise PasskeyRefused("This passkey is already registered.")
    existing = await credential_rows(conn, user_id)
    transports = credential.get("response", {}).get("transports") if isinstance(credential, dict) else None
    row = credential_row(
        user_id, credential_id=credential_id, public_key=bytes_to_base64url(verified.credential_public_key), sign_count=verified.sign_count,
        user_handle=existing[-1]["user_handle"] if existing else bytes_to_base64url(_new_handle(state, user_id)),
        transports=[t for t in transports or [] if t in TRANSPORTS], aaguid=verified.aaguid,
        rp_id=state.settings.webauthn_rp_id, backup_eligible=verified.credential_device_type == "multi_device",
        backup_state=verified.credential_backed_up, name=clean_name(name, default_name(len(existing) + 1)),
    )
    await add_passkey(conn, row)
    from authshift.migration.readiness.store import passkey_registered  # (readiness reads accounts)

    await passkey_registered(conn, user_id, state.accounts)  # no longer "must register a new passkey"
    return row


def _new_handle(state: AccountServices, user_id: uuid.UUID) -> bytes:
    """The user handle of a user's first passkey: an HMAC of the user ID under the instance secret,
    so it is opaque (no personal data, WebAuthn §14.6.1) and the same at options and verification
    time without being stored or trusted from the browser."""
    return hmac.new(state.secrets.secret_key, b"webauthn-user-handle:" + user_id.bytes, hashlib.sha256).digest()


async def sign_in_options(state: AccountServices, conn: AsyncConnection, *, user_id: uuid.UUID | None = None) -> dict[str, Any]:
    """``{"challengeId", "publicKey"}`` for ``navigator.credentials.get()``: any discoverable passkey
    (first factor, ``user_id`` None) or one of the user's (second factor)."""
    allow = [_descriptor(r) for r in await credential_rows(conn, user_id)] if user_id else []
    challenge_id, challenge = await _new_challenge(conn, state, "second_factor" if user_id else "sign_in", user_id)
    options = webauthn.generate_authentication_options(
        rp_id=state.settings.webauthn_rp_id, challenge=challenge, timeout=state.settings.webauthn.timeout_seconds * 1000,
        allow_credentials=allow, user_verification=_uv(state),
    )
    return {"challengeId": str(challenge_id), "publicKey": json.loads(options_to_json(options))}


async def verify_sign_in(state: AccountServices, conn: AsyncConnection, challenge_id: str, credential: Any, *,
                         user_id: uuid.UUID | None = None) -> Assertion:
    """Verify ``navigator.credentials.get()``'s answer; the passkey's user (and ``user_id`` when given)."""
    refused = PasskeyRefused("That passkey is not registered here, or it could not be verified.")
    challenge = await _take_challenge(conn, challenge_id, "second_factor" if user_id else "sign_in", user_id)
    presented = credential.get("id") if isinstance(credential, dict) else None
    row = await find_credential(conn, presented) if isinstance(presented, str) and len(presented) < 1400 else None
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise refused
    if row["rp_id"] != state.settings.webauthn_rp_id:
        log.warning("a passkey of another RP ID was presented", user_id=str(row["user_id"]), rp_id=row["rp_id"])
        raise refused
    handle = credential.get("response", {}).get("userHandle")
    if handle and handle != row["user_handle"]:
        raise refused
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=row["rp_id"],
            expected_origin=state.settings.webauthn_origins, credential_public_key=base64url_to_bytes(row["public_key"]),
            credential_current_sign_count=0,  # authshift's counter rule below, not the library's
            require_user_verification=state.settings.webauthn.user_verification == "required",
        )
    except WebAuthnException as exc:
        log.info("a passkey sign-in was refused", user_id=str(row["user_id"]), reason=str(exc))
        raise refused from None
    verdict = judge_sign_count(int(row["sign_count"]), verified.new_sign_count)
    if verdict is CounterVerdict.WENT_BACK:
        log.warning("a passkey's signature counter went back: possibly a cloned authenticator; sign-in refused",
                    user_id=str(row["user_id"]), passkey_id=str(row["id"]), stored=int(row["sign_count"]),
                    presented=verified.new_sign_count)
        raise refused
    await record_use(conn, row["id"], sign_count=verified.new_sign_count if verdict is CounterVerdict.ADVANCED else None,
                     backup_state=verified.credential_backed_up)
    return Assertion(row["user_id"], verified.user_verified)
