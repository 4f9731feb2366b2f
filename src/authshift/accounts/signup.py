"""Self-service sign-up: an email and a password that meets the policy become a native user.

Sign-ups go where ``[migration] new_signups`` says. Before creating anyone, a login ID that the
legacy system knows is claimed from it (rolling migration), so nobody can take over another
person's email and no second account is made.

Sign-ups are throttled per client IP (``[signup] ip_max_attempts`` per ``ip_window_seconds``). A
taken email is told so (409) with ``[signup] existing_email = "tell"``; with ``"email_owner"`` the
answer is the one a new sign-up gets, in about the same time (the password is hashed either way),
and the address's owner is emailed instead: the form no longer tells who has an account.
"""

from __future__ import annotations

import uuid

from authshift import passwords
from authshift.accounts.normalize import InvalidLoginId, normalize_email
from authshift.accounts.password_policy import PasswordPolicy
from authshift.accounts.services import AccountServices
from authshift.accounts.sources import SIGNUP_SOURCE
from authshift.accounts.users import create_user, find_user_id
from authshift.audit import record_audit
from authshift.errors import Conflict, ErrorList, Forbidden, TooManyRequests, Unavailable
from authshift.mail import queue_email
from authshift.security import throttle

__all__ = ["AccountExists", "SignUpsClosed", "TooManySignups", "sign_up", "policy_for"]

SELF_SERVICE = "self-service"
MAX_EMAIL_LENGTH = 254


class SignUpsClosed(Forbidden):
    type_slug = "signups-closed"


class AccountExists(Conflict):
    type_slug = "account-exists"

    def __init__(self) -> None:
        super().__init__("An account with this email already exists. Sign in, or reset your password.")


def policy_for(state: AccountServices) -> PasswordPolicy:
    return PasswordPolicy.from_settings(state.settings.password_policy)


def check_new_password(
    errors: ErrorList, state: AccountServices, password: str, password_confirm: str, *, login_ids: list[str]
) -> None:
    """Add the policy's objections to ``password`` and a mismatch with its confirmation to ``errors``."""
    for problem in policy_for(state).problems(password, login_ids=login_ids):
        errors.add("password", problem)
    if password and password != password_confirm:
        errors.add("password_confirm", "The two passwords don't match.")


class TooManySignups(TooManyRequests):
    type_slug = "too-many-signups"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many accounts were created from your network. Try again later.")
        self.retry_after = retry_after


async def _count_signup(state: AccountServices, ip: str | None) -> str | None:
    """Count a sign-up attempt from ``ip`` (before anything tells whether the email is taken);
    returns the counter's key, or None when throttling is off."""
    cfg = state.settings.signup
    if not state.settings.throttle.enabled:
        return None
    limit = throttle.Limit(throttle.counter_key("signup-ip", ip or "unknown"), cfg.ip_max_attempts, cfg.ip_window_seconds)
    async with state.engine.begin() as conn:
        if await throttle.hit(conn, limit) > limit.max_attempts:
            raise TooManySignups(limit.window_seconds)
    return limit.key


async def _claim(state: AccountServices, normalized: str, counted: str | None) -> uuid.UUID | None:
    """The legacy system's user with this email, claimed here; when it cannot answer ("try
    again shortly") the attempt is taken back: it was not judged."""
    assert state.legacy is not None
    try:
        return await state.legacy.claim(normalized)
    except Unavailable:
        if counted is not None:
            async with state.engine.begin() as conn:
                await throttle.take_back(conn, counted)
        raise


async def sign_up(state: AccountServices, *, email: str, password: str, password_confirm: str,
                  ip: str | None = None) -> uuid.UUID | None:
    """Create a native user (``user.created`` is emitted with it). Raises ``SignUpsClosed``,
    ``TooManySignups``, ``InvalidInput`` (field errors: email, password, password_confirm),
    ``AccountExists`` (only with ``existing_email = "tell"``; else the owner is emailed and None
    returned), or ``Unavailable`` when the legacy system must be asked and cannot answer (nothing
    is written)."""
    if state.settings.migration.new_signups == "legacy":
        raise SignUpsClosed("new accounts are created in the existing system")
    counted = await _count_signup(state, ip)
    errors = ErrorList()
    email = email.strip()
    normalized = ""
    if not email:
        errors.add("email", "Enter your email address.")
    elif len(email) > MAX_EMAIL_LENGTH:
        errors.add("email", f"An email address has at most {MAX_EMAIL_LENGTH} characters.")
    else:
        try:
            normalized = normalize_email(email)
        except InvalidLoginId:
            errors.add("email", "Enter a valid email address, like name@example.com.")
    check_new_password(errors, state, password, password_confirm, login_ids=[email])
    errors.raise_if_any("the sign-up form has errors")

    async with state.engine.connect() as conn:
        existing = await find_user_id(await conn.execution_options(readonly=True), normalized)
    if existing is None and state.legacy is not None:
        existing = await _claim(state, normalized, counted)
    if existing is not None:
        return await _existing_account(state, email, password)

    stored = await passwords.hash_password_async(password)  # before the transaction: hashing is slow
    async with state.engine.begin() as conn:
        try:
            user_id = await create_user(
                conn, {"email": email, "email_verified": False, "password": {"hash": stored.value},
                       "source": SIGNUP_SOURCE},
                ctx=state.accounts, migration_state="native",
            )
        except Conflict:
            user_id = None
        if user_id is not None:
            await record_audit(conn, actor=SELF_SERVICE, action="user.signed_up", target=str(user_id))
    if user_id is None:  # taken meanwhile
        return await _existing_account(state, email, password, hashed=True)
    return user_id


def _owner_email_text(issuer: str) -> str:
    return (
        "Someone (perhaps you) tried to create an account with this email address, which already has one.\n\n"
        f"If it was you, sign in: {issuer}/login\n"
        f"or choose a new password if you have forgotten it: {issuer}/forgot-password\n\n"
        "If it was not you, ignore this message: nothing was changed.\n"
    )


async def _existing_account(state: AccountServices, email: str, password: str, *, hashed: bool = False) -> None:
    """The email has an account: say so (``tell``), or email its owner and answer as a new
    sign-up would (``email_owner``), after the same hashing work a new sign-up does."""
    if state.settings.signup.existing_email == "tell":
        raise AccountExists()
    if not hashed:
        await passwords.hash_password_async(password)  # the time a new sign-up takes
    async with state.engine.begin() as conn:
        await queue_email(conn, state.settings.smtp, to=email, subject="Someone tried to create an account with your email",
                          body=_owner_email_text(state.settings.public_issuer), purpose="signup_existing")
    return None
