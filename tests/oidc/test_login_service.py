"""The sign-in service (accounts.login) on both backends: results, rehashing, migration, TOTP, throttling."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime, timedelta

import bcrypt
import pytest
import sqlalchemy as sa

from authshift.accounts import login as svc
from authshift.accounts.login import GENERIC_FAILURE, LoginOutcome
from authshift.accounts.totp import current_code
from authshift.errors import Unavailable
from authshift.events.outbox import events
from authshift.state import AppState
from authshift.storage.tables import passwords, totp_factors, users
from tests.oidc.conftest import ACCOUNT_LIMIT
from tests.oidc.helpers import new_user

PASSWORD = "correct horse battery"


async def _row(state: AppState, user_id: uuid.UUID) -> dict:
    async with state.engine.connect() as conn:
        user = (await conn.execute(sa.select(users).where(users.c.id == user_id))).mappings().one()
        pw = (await conn.execute(sa.select(passwords).where(passwords.c.user_id == user_id))).mappings().first()
    return {**user, "password_format": pw and pw["format"], "password_value": pw and pw["value"]}


async def test_ok_with_any_spelling_of_the_login_id_and_last_login(state: AppState) -> None:
    uid = await new_user(state, email="Ann@Example.com", preferred_username="ann", password=PASSWORD)
    for typed in ("ann@example.com", "  ANN@EXAMPLE.COM ", "Ann"):
        result = await svc.login(state, typed, PASSWORD)
        assert result.outcome is LoginOutcome.OK and result.user_id == uid and result.amr == ("pwd",)
        assert result.message is None


async def test_unknown_and_wrong_password_look_the_same(state: AppState) -> None:
    await new_user(state, email="bob@example.com", password=PASSWORD)
    wrong_times, unknown_times = [], []
    for _ in range(2):
        t0 = time.perf_counter()
        wrong = await svc.login(state, "bob@example.com", "not it at all")
        wrong_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        unknown = await svc.login(state, "nobody@example.com", "not it at all")
        unknown_times.append(time.perf_counter() - t0)
        assert wrong.outcome is unknown.outcome is LoginOutcome.FAILED
        assert wrong.message == unknown.message == GENERIC_FAILURE
        assert wrong.user_id is None and unknown.user_id is None
    # The unknown user pays for a (dummy) hash verification too: same order of time, not ~0.
    assert min(unknown_times) > 0.3 * min(wrong_times)


async def test_legacy_bcrypt_hash_is_rehashed_once_and_user_migrated(state: AppState) -> None:
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    uid = await new_user(state, email="old@example.com", password={"hash": legacy}, _state="imported", source="auth0")
    assert (await _row(state, uid))["password_format"] == "bcrypt"

    assert (await svc.login(state, "old@example.com", "wrong password")).outcome is LoginOutcome.FAILED
    after_failure = await _row(state, uid)
    assert after_failure["password_value"] == legacy and after_failure["migration_state"] == "imported"

    assert (await svc.login(state, "old@example.com", PASSWORD)).outcome is LoginOutcome.OK
    row = await _row(state, uid)
    assert row["password_value"].startswith("$argon2id$") and row["migration_state"] == "migrated"
    async with state.engine.connect() as conn:
        migrated = (await conn.execute(sa.select(events).where(events.c.type == "user.migrated"))).mappings().all()
    assert [e["subject"] for e in migrated] == [str(uid)]
    assert migrated[0]["data"]["user"]["migration_state"] == "migrated"

    assert (await svc.login(state, "old@example.com", PASSWORD)).outcome is LoginOutcome.OK
    again = await _row(state, uid)
    assert again["password_value"] == row["password_value"]  # native hashes are not rehashed again
    async with state.engine.connect() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(events).where(events.c.type == "user.migrated"))).scalar()
    assert count == 1


def _legacy_hashes() -> dict[str, str]:
    from passlib.hash import django_pbkdf2_sha256, phpass, sha512_crypt
    from werkzeug.security import generate_password_hash

    return {
        "werkzeug_pbkdf2": generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
        "django_pbkdf2_sha256": django_pbkdf2_sha256.using(rounds=1000).hash(PASSWORD),
        "sha512_crypt": sha512_crypt.using(rounds=5000).hash(PASSWORD),
        "phpass": phpass.using(rounds=8).hash(PASSWORD),
    }


@pytest.mark.parametrize("fmt", sorted(_legacy_hashes()))
async def test_other_legacy_formats_sign_in_and_become_argon2id(state: AppState, fmt: str) -> None:
    legacy = _legacy_hashes()[fmt]
    uid = await new_user(state, email=f"{fmt}@example.com", password={"hash": legacy}, _state="imported")
    assert (await _row(state, uid))["password_format"] == fmt
    assert (await svc.login(state, f"{fmt}@example.com", PASSWORD + "x")).outcome is LoginOutcome.FAILED
    assert (await svc.login(state, f"{fmt}@example.com", PASSWORD)).outcome is LoginOutcome.OK
    row = await _row(state, uid)
    assert row["password_value"].startswith("$argon2id$") and row["migration_state"] == "migrated"


async def test_disabled_user_fails_like_a_wrong_password(state: AppState) -> None:
    await new_user(state, email="gone@example.com", password=PASSWORD, disabled=True)
    result = await svc.login(state, "gone@example.com", PASSWORD)
    assert result.outcome is LoginOutcome.FAILED and result.message == GENERIC_FAILURE and result.user_id is None


async def test_throttled_attempts_are_not_verified(state: AppState) -> None:
    await new_user(state, email="t@example.com", password=PASSWORD)
    for _ in range(ACCOUNT_LIMIT):
        assert (await svc.login(state, "t@example.com", "guess", ip="10.0.0.1")).outcome is LoginOutcome.FAILED
    # Over the limit even the right password is refused from that source, without a hash being computed.
    t0 = time.perf_counter()
    throttled = await svc.login(state, "T@Example.com", PASSWORD, ip="10.0.0.1")
    assert throttled.outcome is LoginOutcome.THROTTLED and throttled.message == GENERIC_FAILURE
    assert time.perf_counter() - t0 < 0.5
    # The budget is per account and source: the owner elsewhere is not locked out by it.
    assert (await svc.login(state, "T@Example.com", PASSWORD, ip="10.0.0.2")).outcome is LoginOutcome.OK


async def test_success_clears_the_account_counter(state: AppState) -> None:
    await new_user(state, email="c@example.com", password=PASSWORD)
    for _ in range(ACCOUNT_LIMIT - 1):
        await svc.login(state, "c@example.com", "guess")
    assert (await svc.login(state, "c@example.com", PASSWORD)).outcome is LoginOutcome.OK
    for _ in range(ACCOUNT_LIMIT - 1):
        assert (await svc.login(state, "c@example.com", "guess")).outcome is LoginOutcome.FAILED


async def test_must_change_and_expired_passwords(state: AppState) -> None:
    await new_user(state, email="m@example.com", password={"plaintext": PASSWORD, "must_change": True})
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    uid = await new_user(state, email="e@example.com", password={"plaintext": PASSWORD, "expire_at": past})
    must = await svc.login(state, "m@example.com", PASSWORD)
    assert must.outcome is LoginOutcome.MUST_CHANGE_PASSWORD and must.change_reason == "must_change"
    expired = await svc.login(state, "e@example.com", PASSWORD)
    assert expired.outcome is LoginOutcome.MUST_CHANGE_PASSWORD and expired.change_reason == "expired"

    errors = await svc.change_required_password(state, uid, "short", "short")
    assert "password" in errors
    assert await svc.change_required_password(state, uid, "a brand new secret", "a different one") == {
        "password_confirm": ["The two passwords don't match."]
    }
    assert await svc.change_required_password(state, uid, PASSWORD, PASSWORD) == {
        "password": ["Choose a password different from the old one."]
    }
    assert await svc.change_required_password(state, uid, "a brand new secret", "a brand new secret") == {}
    assert (await svc.login(state, "e@example.com", "a brand new secret")).outcome is LoginOutcome.OK
    assert (await svc.login(state, "e@example.com", PASSWORD)).outcome is LoginOutcome.FAILED


async def test_imported_totp_with_its_own_parameters_and_recovery_codes(state: AppState) -> None:
    secret = b"imported-secret-0123456789"
    uid = await new_user(
        state, email="mfa@example.com", password=PASSWORD,
        mfa={"totp": [{"secret": base64.b32encode(secret).decode(), "encoding": "base32", "algorithm": "SHA256",
                        "digits": 8, "period": 60}],
             "recovery_codes": ["ABCD-EFGH-1234"]},
    )
    first = await svc.login(state, "mfa@example.com", PASSWORD)
    assert first.outcome is LoginOutcome.NEEDS_TOTP and first.user_id == uid

    code = current_code(secret, algorithm="SHA256", digits=8, period=60)
    assert len(code) == 8
    assert (await svc.second_factor(state, uid, "00000000", amr=first.amr)).outcome is LoginOutcome.FAILED
    ok = await svc.second_factor(state, uid, code, amr=first.amr)
    assert ok.outcome is LoginOutcome.OK and ok.amr == ("pwd", "otp", "mfa")
    # The same step cannot be used twice.
    assert (await svc.second_factor(state, uid, code, amr=first.amr)).outcome is LoginOutcome.FAILED
    async with state.engine.connect() as conn:
        step = (await conn.execute(sa.select(totp_factors.c.last_used_step).where(totp_factors.c.user_id == uid))).scalar()
    assert step is not None and abs(step - int(time.time() // 60)) <= 1

    recovery = await svc.second_factor(state, uid, "abcd efgh 1234", amr=first.amr)
    assert recovery.outcome is LoginOutcome.OK and "mfa" in recovery.amr
    assert (await svc.second_factor(state, uid, "ABCD-EFGH-1234", amr=first.amr)).outcome is LoginOutcome.FAILED


class _Legacy:
    """A legacy system stand-in for the seam's contract (rolling migration provides the real one)."""

    def __init__(self, state: AppState, *, down: bool = False) -> None:
        self.state, self.down, self.calls = state, down, []

    async def login(self, login_id: str, password: str) -> uuid.UUID | None:
        self.calls.append(login_id)
        if self.down:
            raise Unavailable("the legacy system did not answer")
        if password != "legacy password":
            return None
        return await new_user(self.state, email=login_id, password=password, _state="migrated", source="legacy")

    async def claim(self, login_id: str) -> uuid.UUID | None:  # pragma: no cover - not used by sign-in
        return None

    async def shadow(self, user_id: uuid.UUID, login_id: str, password: str) -> bool | None:
        return None  # no shadow verification: the local hash decides


async def test_unknown_users_are_asked_of_the_legacy_system(state: AppState) -> None:
    state.legacy = _Legacy(state)
    assert (await svc.login(state, "lazy@example.com", "wrong")).outcome is LoginOutcome.FAILED
    result = await svc.login(state, "lazy@example.com", "legacy password")
    assert result.outcome is LoginOutcome.OK and result.user_id is not None
    # Now a local user: verified here, the legacy system is not asked again.
    assert (await svc.login(state, "lazy@example.com", "legacy password")).outcome is LoginOutcome.OK
    assert state.legacy.calls == ["lazy@example.com", "lazy@example.com"]


async def test_legacy_system_down_is_unavailable_and_writes_nothing(state: AppState) -> None:
    state.legacy = _Legacy(state, down=True)
    async with state.engine.connect() as conn:
        before = (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar()
    with pytest.raises(Unavailable):
        await svc.login(state, "lazy@example.com", "legacy password")
    async with state.engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar() == before
