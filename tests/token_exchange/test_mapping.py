"""A verified legacy token finds its user by external_id, links by verified email only, or creates one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from authshift.accounts.users import create_user, get_user, set_disabled
from authshift.config import TokenExchangeIssuerSettings
from authshift.events.outbox import events
from authshift.migration.token_exchange.errors import ExchangeRefused
from authshift.migration.token_exchange.mapping import ResolvedUser, UserinfoNeeded, resolve_user
from authshift.migration.token_exchange.verified import VerifiedToken
from authshift.state import AppState

BASE: dict[str, Any] = {
    "name": "legacy", "type": "jwt", "issuer": "https://idp.example", "jwks_uri": "https://idp.example/jwks",
    "audiences": ["api"],
}


@pytest.fixture
def state(app: Any) -> AppState:
    return app.state.authshift  # type: ignore[no-any-return]


def token(sub: str, **claims: Any) -> VerifiedToken:
    return VerifiedToken("legacy", sub, {"sub": sub, **claims}, replay_key=f"jti:{sub}")


async def resolve(state: AppState, verified: VerifiedToken, **cfg: Any) -> ResolvedUser:
    async with state.engine.begin() as conn:
        return await resolve_user(conn, verified, TokenExchangeIssuerSettings(**{**BASE, **cfg}), ctx=state.accounts)


async def refused(state: AppState, verified: VerifiedToken, reason: str, **cfg: Any) -> None:
    with pytest.raises(ExchangeRefused) as caught:
        await resolve(state, verified, **cfg)
    assert caught.value.error == "invalid_grant" and reason in caught.value.reason, caught.value.reason


async def add_user(state: AppState, record: dict[str, Any], migration_state: str = "imported") -> uuid.UUID:
    async with state.engine.begin() as conn:
        return await create_user(conn, record, ctx=state.accounts, migration_state=migration_state)


async def user(state: AppState, user_id: uuid.UUID) -> dict[str, Any]:
    async with state.engine.connect() as conn:
        return await get_user(conn, user_id)


async def test_an_imported_user_is_found_by_external_id(state: AppState) -> None:
    alice = await add_user(state, {"email": "alice@example.com", "external_id": "legacy-user-alice"})
    found = await resolve(state, token("legacy-user-alice", email="someone-else@example.com"))
    assert (found.user_id, found.how, found.migration_state) == (alice, "external_id", "imported")
    assert [(i["kind"], i["raw"]) for i in found.identities] == [("email", "alice@example.com")]


async def test_a_verified_email_links_the_user_and_records_the_subject(state: AppState) -> None:
    bob = await add_user(state, {"email": "Bob@Example.com"})
    found = await resolve(state, token("legacy-user-bob", email="bob@example.COM", email_verified=True))
    assert found.user_id == bob and found.how == "email"
    assert (await user(state, bob))["external_id"] == "legacy-user-bob"
    assert (await resolve(state, token("legacy-user-bob"))).how == "external_id"


@pytest.mark.parametrize("flag", [False, None, "false", 1])
async def test_an_unverified_email_never_links(state: AppState, flag: Any) -> None:
    victim = await add_user(state, {"email": "victim@example.com"}, migration_state="native")
    claims = {"email": "victim@example.com", **({} if flag is None else {"email_verified": flag})}
    await refused(state, token("attacker", **claims), "no user with this external_id", on_unknown_user="reject")
    await refused(state, token("attacker", **claims), "email already taken", on_unknown_user="create")
    assert (await user(state, victim)).get("external_id") is None


async def test_the_string_true_counts_as_verified(state: AppState) -> None:
    carol = await add_user(state, {"email": "carol@example.com"})
    assert (await resolve(state, token("c-1", email="carol@example.com", email_verified="true"))).user_id == carol


async def test_an_email_linked_to_another_legacy_subject_is_refused(state: AppState) -> None:
    await add_user(state, {"email": "dave@example.com", "external_id": "legacy-user-dave"})
    await refused(state, token("impostor", email="dave@example.com", email_verified=True), "different external_id")


async def test_an_unknown_user_is_created_from_the_claims(state: AppState) -> None:
    claims = {"email": "erin@example.com", "email_verified": True, "given_name": "Erin", "family_name": "Eve",
              "fullname": "Erin Eve", "phone_number": "+1 415 555 0199", "locale": "not a locale!"}
    found = await resolve(state, token("e-1", **claims), on_unknown_user="create", external_id_prefix="idp|",
                          claims={"name": "fullname"})
    assert found.how == "created" and found.migration_state == "migrated"
    record = await user(state, found.user_id)
    assert record["external_id"] == "idp|e-1" and record["source"] == "legacy"
    assert record["email"] == "erin@example.com" and record["email_verified"] is True
    assert record["name"] == "Erin Eve" and record["given_name"] == "Erin" and record["phone_number"] == "+14155550199"
    assert "locale" not in record  # a claim the import rules refuse is dropped, not fatal
    async with state.engine.connect() as conn:
        created = (await conn.execute(sa.select(events.c.type).where(events.c.subject == str(found.user_id)))).scalars()
        assert list(created) == ["user.created"]
    assert (await resolve(state, token("e-1"), external_id_prefix="idp|")).how == "external_id"


async def test_disabled_users_are_refused(state: AppState) -> None:
    frank = await add_user(state, {"email": "frank@example.com", "external_id": "f-1"})
    async with state.engine.begin() as conn:
        await set_disabled(conn, frank, True, "left")
    await refused(state, token("f-1"), "is disabled")
    gina = await add_user(state, {"email": "gina@example.com"}, migration_state="native")
    async with state.engine.begin() as conn:
        await set_disabled(conn, gina, True)
    await refused(state, token("g-1", email="gina@example.com", email_verified=True), "is disabled")
    hook_record = VerifiedToken("legacy", "h-1", {}, "sha256:h", record={"external_id": "h-1", "disabled": True})
    await refused(state, hook_record, "hook's record says the user is disabled", on_unknown_user="create")


async def test_a_userinfo_issuer_asks_for_userinfo_before_creating(state: AppState) -> None:
    cfg = {"on_unknown_user": "create", "userinfo_endpoint": "https://idp.example/me"}
    with pytest.raises(UserinfoNeeded):
        await resolve(state, token("u-1"), **cfg)
    async with state.engine.begin() as conn:
        found = await resolve_user(
            conn, token("u-1"), TokenExchangeIssuerSettings(**{**BASE, **cfg}), ctx=state.accounts,
            userinfo={"email": "ursula@example.com", "given_name": "Ursula"},
        )
    assert (await user(state, found.user_id))["given_name"] == "Ursula"
