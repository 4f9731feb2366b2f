"""Self-service sign-up: an email and a password that meets the policy become a native user.

Sign-ups go where ``[migration] new_signups`` says. Before creating anyone, a login ID that the
legacy system knows is claimed from it (rolling migration), so nobody can take over another
person's email and no second account is made.
"""

from __future__ import annotations

import uuid

from authshift import passwords
from authshift.accounts.normalize import InvalidLoginId, normalize_email
from authshift.accounts.password_policy import PasswordPolicy
from authshift.accounts.sources import SIGNUP_SOURCE
from authshift.accounts.users import create_user, find_user_id
from authshift.audit import record_audit
from authshift.errors import Conflict, ErrorList, Forbidden
from authshift.state import AppState

__all__ = ["AccountExists", "SignUpsClosed", "sign_up", "policy_for"]

SELF_SERVICE = "self-service"
MAX_EMAIL_LENGTH = 254


class SignUpsClosed(Forbidden):
    type_slug = "signups-closed"


class AccountExists(Conflict):
    type_slug = "account-exists"

    def __init__(self) -> None:
        super().__init__("An account with this email already exists. Sign in, or reset your password.")


def policy_for(state: AppState) -> PasswordPolicy:
    return PasswordPolicy.from_settings(state.settings.password_policy)


def check_new_password(
    errors: ErrorList, state: AppState, password: str, password_confirm: str, *, login_ids: list[str]
) -> None:
    """Add the policy's objections to ``password`` and a mismatch with its confirmation to ``errors``."""
    for problem in policy_for(state).problems(password, login_ids=login_ids):
        errors.add("password", problem)
    if password and password != password_confirm:
        errors.add("password_confirm", "The two passwords don't match.")


async def sign_up(state: AppState, *, email: str, password: str, password_confirm: str) -> uuid.UUID:
    """Create a native user (``user.created`` is emitted with it). Raises ``SignUpsClosed``,
    ``InvalidInput`` (field errors: email, password, password_confirm), ``AccountExists``, or
    ``Unavailable`` when the legacy system must be asked and cannot answer (nothing is written)."""
    if state.settings.migration.new_signups == "legacy":
        raise SignUpsClosed("new accounts are created in the existing system")
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
    if existing is not None:
        raise AccountExists()
    if state.legacy is not None and await state.legacy.claim(normalized) is not None:
        raise AccountExists()

    stored = await passwords.hash_password_async(password)  # before the transaction: hashing is slow
    async with state.engine.begin() as conn:
        try:
            user_id = await create_user(
                conn, {"email": email, "email_verified": False, "password": {"hash": stored.value},
                       "source": SIGNUP_SOURCE},
                ctx=state.accounts, migration_state="native",
            )
        except Conflict:
            raise AccountExists() from None
        await record_audit(conn, actor=SELF_SERVICE, action="user.signed_up", target=str(user_id))
    return user_id
