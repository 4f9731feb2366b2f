"""Lazy migration: users move from the legacy system on their next sign-in.

``LazyMigration`` is the ``LegacyFallback`` (accounts/legacy_fallback.py) set on
``AppState.legacy`` when ``[migration.legacy]`` is configured:

- ``login(login_id, password)``:
  * a login ID unknown here, in a ``migrate`` cohort (cohorts.py): the legacy system verifies the
    password; the user is created from the returned record, password hashed natively,
    migration_state ``migrated``, source ``legacy`` (events ``user.created`` + ``user.migrated``);
  * a user here with no password (imported without a usable hash, e.g. from Cognito, or claimed
    below): verified by the legacy system whatever the cohorts say (the user is already ours);
    on success the password is set natively and the user becomes ``migrated`` (``user.migrated``).
  Everything slow (the legacy call, hashing) happens before the one short write transaction.
  Two simultaneous first sign-ins of one user create one user: the loser of the unique
  constraints finds the winner's user and signs in as it.
- ``claim(login_id)``, before sign-up and forgot-password: a login ID the legacy system knows is
  created here from its record, without a password (migration_state ``imported``), so nobody
  can take another person's login ID here and no duplicate is made.

The legacy system down, slow or answering nonsense: ``authshift.errors.Unavailable`` ("try
again shortly") and nothing is written.

``route(state, login_id)`` answers ``GET /api/migration/v1/route``: which system should sign
this login ID in.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift import passwords
from authshift.accounts.login_ids import NORMALIZERS, candidates
from authshift.accounts.migration_state import announce_migrated, mark_migrated
from authshift.accounts.normalize import InvalidLoginId
from authshift.accounts.services import AccountServices
from authshift.accounts.sources import LEGACY_SOURCE
from authshift.accounts.totp import has_totp
from authshift.accounts.users import create_user, find_user_id, set_password
from authshift.errors import Conflict, FieldError, InvalidInput, Unavailable
from authshift.logs import get_logger
from authshift.migration.rolling.cohorts import decide
from authshift.migration.rolling.legacy_client import LegacyClient, LegacyError, LegacyUnavailable
from authshift.storage.db import reading
from authshift.storage.tables import passwords as passwords_table
from authshift.storage.tables import users

__all__ = ["LazyMigration", "MAX_LOGIN_ID_LENGTH", "attach_legacy", "route"]

log = get_logger("authshift.migration.rolling.lazy")

MAX_LOGIN_ID_LENGTH = 320
TRY_AGAIN = "signing in is briefly unavailable: the previous sign-in system is not answering; try again shortly"
System = Literal["authshift", "legacy"]


class LegacyHost(AccountServices, Protocol):
    """What lazy migration uses of the running process: the account services, and the one legacy
    client (with its breaker) of the process, which ``attach_legacy`` sets with the fallback. A
    Protocol the process's state (``authshift.state.AppState``) satisfies, so this module does not
    import the composition root."""

    legacy_client: LegacyClient | None


@dataclass(frozen=True)
class LocalUser:
    id: uuid.UUID
    has_password: bool
    disabled: bool
    external_id: str | None


async def local_user(conn: AsyncConnection, login_id: str) -> LocalUser | None:
    user_id = await find_user_id(conn, login_id)
    if user_id is None:
        return None
    has_password = sa.exists().where(passwords_table.c.user_id == users.c.id)
    row = (
        await conn.execute(
            sa.select(users.c.disabled, users.c.external_id, has_password.label("has_password")).where(users.c.id == user_id)
        )
    ).first()
    if row is None:
        return None
    return LocalUser(user_id, bool(row.has_password), bool(row.disabled), row.external_id)


def _usable(login_id: str) -> str | None:
    text = login_id.strip() if isinstance(login_id, str) else ""
    return text if text and len(text) <= MAX_LOGIN_ID_LENGTH and candidates(text) else None


async def _ask_legacy(call: Awaitable[dict[str, Any] | None]) -> dict[str, Any] | None:
    """Run a legacy call; its failures become the user-facing ``Unavailable``."""
    try:
        return await call
    except LegacyUnavailable as down:
        raise Unavailable(TRY_AGAIN, **({"retry_after": int(down.retry_in) + 1} if down.retry_in else {})) from None
    except LegacyError:
        raise Unavailable(TRY_AGAIN) from None


class LazyMigration:
    """The legacy fallback of the login path, sign-up and forgot-password."""

    def __init__(self, state: LegacyHost, client: LegacyClient) -> None:
        self.state = state
        self.client = client

    async def login(self, login_id: str, password: str) -> uuid.UUID | None:
        text = _usable(login_id)
        if text is None or not password or self.client.settings.verify_url is None:
            return None
        async with reading(self.state.engine) as conn:
            local = await local_user(conn, text)
        if local is not None:
            return await self._complete(local, text, password)
        verified: list[dict[str, Any] | None] = []

        async def verify() -> dict[str, Any] | None:
            if not verified:
                verified.append(await _ask_legacy(self.client.verify(text, password)))
            return verified[0]

        decision = await decide(self.state.settings.migration.cohorts, text, verify)
        if decision.action != "migrate":
            if not verified:  # the legacy system did no hashing: cost the same as a wrong password
                await passwords.dummy_verify_async(password)
            return None
        record = await verify()
        if record is None or record.get("disabled") or not record_matches(record, text, "verify"):
            return None
        stored = await passwords.hash_password_async(password)
        new = {**record, "source": LEGACY_SOURCE, "password": {"hash": stored.value}}
        # A user with a second factor is created ``imported``: the sign-in completes (and the user
        # becomes ``migrated``) only once the code is right (accounts/login.py).
        pending = _has_second_factor(record)
        try:
            async with self.state.engine.begin() as conn:
                user_id = await create_user(conn, new, ctx=self.state.accounts,
                                            migration_state="imported" if pending else "migrated")
                if not pending:
                    await announce_migrated(conn, user_id, via="legacy", details={"cohort": decision.cohort})
        except InvalidInput as exc:
            raise _unusable_record(record, exc) from None
        except Conflict as exc:
            return await self._after_conflict(text, record, exc)
        log.info("user migrated from the legacy system", user_id=str(user_id), cohort=decision.cohort)
        return user_id

    async def _complete(self, local: LocalUser, login_id: str, password: str) -> uuid.UUID | None:
        """A user here with no password: the legacy system verifies it, then it becomes ours."""
        if local.has_password or local.disabled:
            await passwords.dummy_verify_async(password)
            return None
        record = await _ask_legacy(self.client.verify(login_id, password))
        if record is None or record.get("disabled") or not record_matches(record, login_id, "verify"):
            return None
        stored = await passwords.hash_password_async(password)
        async with self.state.engine.begin() as conn:
            again = await local_user(conn, login_id)
            if again is None or again.id != local.id or again.disabled:
                return None
            if again.has_password:  # a simultaneous sign-in completed it with this same verified password
                return local.id
            await set_password(conn, local.id, {"hash": stored.value}, ctx=self.state.accounts, emit_event=False)
            if not await has_totp(conn, local.id):  # with a second factor: once the code is right (login.py)
                await mark_migrated(conn, local.id, via="legacy", details={"cohort": None})
        log.info("imported user completed by the legacy system", user_id=str(local.id))
        return local.id

    async def shadow(self, user_id: uuid.UUID, login_id: str, password: str) -> bool | None:
        from authshift.migration.rolling.shadow import shadow_verify  # shadow.py builds on this module

        return await shadow_verify(self, user_id, login_id, password)

    async def claim(self, login_id: str) -> uuid.UUID | None:
        text = _usable(login_id)
        if text is None:
            return None
        async with reading(self.state.engine) as conn:
            local = await local_user(conn, text)
        if local is not None:
            return local.id
        if self.client.settings.lookup_url is None:
            return None
        record = await _ask_legacy(self.client.lookup(text))
        if record is None or not record_matches(record, text, "lookup"):
            return None
        try:
            async with self.state.engine.begin() as conn:
                user_id = await create_user(conn, {**record, "source": LEGACY_SOURCE}, ctx=self.state.accounts,
                                            migration_state="imported")
        except InvalidInput as exc:
            raise _unusable_record(record, exc) from None
        except Conflict as exc:
            return await self._after_conflict(text, record, exc)
        log.info("legacy user claimed before sign-up or password reset", user_id=str(user_id))
        return user_id

    async def _after_conflict(self, login_id: str, record: Mapping[str, Any], exc: Conflict) -> uuid.UUID | None:
        """Creating the legacy user failed on a unique constraint: the same user created meanwhile
        (a simultaneous first sign-in) is the answer; anyone else is an operator's problem."""
        async with reading(self.state.engine) as conn:
            local = await local_user(conn, login_id)
        if local is not None and local.external_id is not None and local.external_id == record.get("external_id"):
            return local.id
        log.warning("legacy user cannot be created here: it clashes with an existing user",
                    external_id=record.get("external_id"), fields=[e.path for e in exc.errors])
        return None


def record_matches(record: Mapping[str, Any], login_id: str, endpoint: str) -> bool:
    """Whether the legacy record holds the login ID the person typed (each compared normalised).

    A legacy system that answers with another user's record (a lookup by a secondary key, a bug)
    must not sign the person in as that user, nor create them here: the mismatch is refused and
    logged with the record's ``external_id`` and the kind of login ID, never the values."""
    typed = candidates(login_id)
    for wanted in typed:
        value = record.get(wanted.kind)
        if isinstance(value, str):
            try:
                if NORMALIZERS[wanted.kind](value) == wanted.value:
                    return True
            except InvalidLoginId:
                continue
    log.warning("the legacy system answered with a record that does not hold the login ID typed; refused",
                endpoint=endpoint, external_id=record.get("external_id"), login_id_kinds=[c.kind for c in typed])
    return False


def _has_second_factor(record: Mapping[str, Any]) -> bool:
    mfa = record.get("mfa")
    return isinstance(mfa, Mapping) and bool(mfa.get("totp"))


def _unusable_record(record: Mapping[str, Any], exc: InvalidInput) -> Unavailable:
    log.warning("legacy record cannot make a user", external_id=record.get("external_id"), error=exc.detail,
                fields=[e.path for e in exc.errors])
    return Unavailable(TRY_AGAIN)


async def route(state: LegacyHost, login_id: str) -> System:
    """Which system signs this login ID in: users here always authshift, others per cohort."""
    text = _usable(login_id)
    if text is None:
        raise InvalidInput("login_id is not an email, phone number or username",
                           errors=[FieldError("login_id", "expected an email, phone number or username")])
    if not state.settings.migration.legacy.configured:
        return "authshift"  # no legacy system at all: there is nowhere else to send anyone
    async with reading(state.engine) as conn:
        if await find_user_id(conn, text) is not None:
            return "authshift"
    client = state.legacy_client

    async def lookup() -> dict[str, Any] | None:
        if client is None or client.settings.lookup_url is None:
            return None  # settings make attribute cohorts require lookup_url
        return await _ask_legacy(client.lookup(text))

    decision = await decide(state.settings.migration.cohorts, text, lookup)
    return "authshift" if decision.action == "migrate" else "legacy"


def attach_legacy(state: LegacyHost) -> Callable[[], Awaitable[None]]:
    """At app start: the legacy client and, with verify/lookup URLs, the lazy-migration fallback."""
    settings = state.settings.migration.legacy

    async def nothing() -> None:
        return None

    if not settings.configured:
        return nothing
    client = LegacyClient(settings)
    state.legacy_client = client
    if settings.verify_url or settings.lookup_url:
        state.legacy = LazyMigration(state, client)
    return client.aclose
