"""The legacy OpenID provider issues what issue 8's token exchange consumes: JWT and opaque tokens."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidKeyIdError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from .oidc_idp import JWT_RESOURCE, OPAQUE_RESOURCE, OTHER_JWT_RESOURCE, LegacyIdP, SignInFailed

pytestmark = pytest.mark.legacy


def published_keys(idp: LegacyIdP) -> KeySet:
    return KeySet.import_key_set(httpx.get(idp.jwks_uri).json())


def decode(idp: LegacyIdP, token: str) -> jwt.Token:
    return jwt.decode(token, published_keys(idp), algorithms=["RS256"])


def test_discovery_announces_the_endpoints_the_helper_uses(legacy_idp: LegacyIdP) -> None:
    metadata = httpx.get(f"{legacy_idp.issuer}/.well-known/openid-configuration").json()
    assert metadata["issuer"] == legacy_idp.issuer
    assert metadata["jwks_uri"] == legacy_idp.jwks_uri
    assert metadata["token_endpoint"] == legacy_idp.token_endpoint
    assert metadata["authorization_endpoint"] == legacy_idp.authorization_endpoint
    assert metadata["introspection_endpoint"] == legacy_idp.introspection_endpoint
    assert metadata["revocation_endpoint"] == legacy_idp.revocation_endpoint
    assert metadata["userinfo_endpoint"] == legacy_idp.userinfo_endpoint
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]
    keys = httpx.get(legacy_idp.jwks_uri).json()["keys"]
    assert [key["kid"] for key in keys] == [legacy_idp.signing_kid]
    assert all("d" not in key for key in keys)  # only public halves are published


def test_sign_in_yields_an_rs256_jwt_access_token_for_the_jwt_resource(legacy_idp: LegacyIdP) -> None:
    tokens = legacy_idp.sign_in("alice@legacy.example", "alice-password", resource=JWT_RESOURCE)
    token = decode(legacy_idp, tokens["access_token"])
    assert token.header["alg"] == "RS256" and token.header["kid"] == legacy_idp.signing_kid
    assert token.header["typ"] == "at+jwt"
    claims = token.claims
    JWTClaimsRegistry(
        iss={"essential": True, "value": legacy_idp.issuer}, aud={"essential": True, "value": JWT_RESOURCE},
        sub={"essential": True, "value": "legacy-user-alice"}, exp={"essential": True},
    ).validate(claims)
    assert claims["email"] == "alice@legacy.example" and claims["given_name"] == "Alice"
    assert claims["client_id"] == legacy_idp.client_id and claims["jti"]
    assert 590 <= claims["exp"] - claims["iat"] <= 600
    # the ID token and refresh token of an ordinary sign-in come along
    id_token = decode(legacy_idp, tokens["id_token"]).claims
    assert id_token["aud"] == legacy_idp.client_id and id_token["sub"] == "legacy-user-alice"
    assert tokens["refresh_token"] and tokens["token_type"] == "Bearer"


def test_each_sign_in_gets_a_distinct_token(legacy_idp: LegacyIdP) -> None:
    first = legacy_idp.sign_in("legacy-user-bob", "bob-password")["access_token"]
    second = legacy_idp.sign_in("BOB@legacy.example", "bob-password")["access_token"]
    assert decode(legacy_idp, first).claims["jti"] != decode(legacy_idp, second).claims["jti"]
    assert decode(legacy_idp, second).claims["sub"] == "legacy-user-bob"


def test_another_resource_gets_a_jwt_with_its_own_audience(legacy_idp: LegacyIdP) -> None:
    token = legacy_idp.sign_in("alice@legacy.example", "alice-password", resource=OTHER_JWT_RESOURCE)["access_token"]
    assert decode(legacy_idp, token).claims["aud"] == OTHER_JWT_RESOURCE


def test_a_refresh_token_yields_new_access_tokens(legacy_idp: LegacyIdP) -> None:
    tokens = legacy_idp.sign_in("bob@legacy.example", "bob-password")
    jwt_claims = decode(legacy_idp, legacy_idp.refresh(tokens["refresh_token"])["access_token"]).claims
    assert jwt_claims["sub"] == "legacy-user-bob" and jwt_claims["aud"] == JWT_RESOURCE
    with pytest.raises(SignInFailed, match="invalid_target"):  # only the resource signed in for
        legacy_idp.refresh(tokens["refresh_token"], resource=OPAQUE_RESOURCE)
    opaque_tokens = legacy_idp.sign_in("bob@legacy.example", "bob-password", resource=OPAQUE_RESOURCE)
    opaque = legacy_idp.refresh(opaque_tokens["refresh_token"], resource=OPAQUE_RESOURCE)["access_token"]
    assert legacy_idp.introspect(opaque)["sub"] == "legacy-user-bob"
    with pytest.raises(SignInFailed, match="invalid_grant"):
        legacy_idp.refresh("not-a-refresh-token")


def test_a_tampered_jwt_fails_verification(legacy_idp: LegacyIdP) -> None:
    header, payload, signature = legacy_idp.sign_in("alice@legacy.example", "alice-password")["access_token"].split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    with pytest.raises(BadSignatureError):
        decode(legacy_idp, forged)


@pytest.mark.parametrize(("login", "password"), [("alice@legacy.example", "wrong"), ("nobody@legacy.example", "x")])
def test_a_wrong_password_or_unknown_user_cannot_sign_in(legacy_idp: LegacyIdP, login: str, password: str) -> None:
    with pytest.raises(SignInFailed, match="refused"):
        legacy_idp.sign_in(login, password)


def test_the_opaque_resource_gets_an_opaque_token_that_introspects_active(legacy_idp: LegacyIdP) -> None:
    tokens = legacy_idp.sign_in("carol@legacy.example", "carol-password", resource=OPAQUE_RESOURCE)
    access_token = tokens["access_token"]
    assert access_token.count(".") == 0
    answer = legacy_idp.introspect(access_token)
    assert answer["active"] is True
    assert (answer["sub"], answer["aud"], answer["iss"]) == ("legacy-user-carol", OPAQUE_RESOURCE, legacy_idp.issuer)
    assert answer["email"] == "carol@legacy.example" and answer["email_verified"] is False
    assert answer["exp"] > time.time() and answer["client_id"] == legacy_idp.client_id


def test_introspection_is_inactive_for_unknown_and_revoked_tokens(legacy_idp: LegacyIdP) -> None:
    assert legacy_idp.introspect("not-a-token-" + uuid.uuid4().hex) == {"active": False}
    access_token = legacy_idp.sign_in("alice@legacy.example", "alice-password", resource=OPAQUE_RESOURCE)["access_token"]
    legacy_idp.revoke(access_token)
    assert legacy_idp.introspect(access_token) == {"active": False}


def test_introspection_needs_the_resource_server_credentials(legacy_idp: LegacyIdP) -> None:
    access_token = legacy_idp.sign_in("alice@legacy.example", "alice-password", resource=OPAQUE_RESOURCE)["access_token"]
    wrong_secret = httpx.post(legacy_idp.introspection_endpoint, data={"token": access_token},
                              auth=(legacy_idp.introspection_client_id, "wrong"))
    assert wrong_secret.status_code == 401
    as_the_app = httpx.post(legacy_idp.introspection_endpoint, data={"token": access_token},
                            auth=(legacy_idp.client_id, legacy_idp.client_secret))
    assert as_the_app.json() == {"active": False}  # only resource servers may introspect


def test_a_short_lived_client_gets_tokens_that_expire(legacy_idp: LegacyIdP) -> None:
    jwt_token = legacy_idp.sign_in("alice@legacy.example", "alice-password", short_lived=True)["access_token"]
    opaque = legacy_idp.sign_in("alice@legacy.example", "alice-password", resource=OPAQUE_RESOURCE,
                                short_lived=True)["access_token"]
    claims = decode(legacy_idp, jwt_token).claims
    assert claims["exp"] - claims["iat"] == legacy_idp.short_access_token_ttl
    time.sleep(legacy_idp.short_access_token_ttl + 1.1)
    with pytest.raises(ExpiredTokenError):
        JWTClaimsRegistry(exp={"essential": True}).validate(claims)
    assert legacy_idp.introspect(opaque) == {"active": False}


def test_a_token_without_resource_reads_userinfo(legacy_idp: LegacyIdP) -> None:
    access_token = legacy_idp.sign_in("bob@legacy.example", "bob-password", resource=None)["access_token"]
    userinfo = httpx.get(legacy_idp.userinfo_endpoint, headers={"authorization": f"Bearer {access_token}"})
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == "legacy-user-bob" and userinfo.json()["email"] == "bob@legacy.example"


def test_an_added_account_signs_in_without_a_restart(legacy_idp: LegacyIdP) -> None:
    sub = f"legacy-user-{uuid.uuid4().hex[:8]}"
    legacy_idp.add_account(sub, "fresh-password", email=f"{sub}@legacy.example", email_verified=True, name="New One")
    claims = decode(legacy_idp, legacy_idp.sign_in(f"{sub}@legacy.example", "fresh-password")["access_token"]).claims
    assert (claims["sub"], claims["name"]) == (sub, "New One")
    with pytest.raises(ValueError, match="exists"):
        legacy_idp.add_account(sub, "again")


def test_key_rotation_changes_the_kid_and_follows_keep_old(legacy_idp_fresh: LegacyIdP) -> None:
    idp = legacy_idp_fresh
    first_kid = idp.signing_kid
    old_jwt = idp.sign_in("alice@legacy.example", "alice-password")["access_token"]
    old_opaque = idp.sign_in("alice@legacy.example", "alice-password", resource=OPAQUE_RESOURCE)["access_token"]

    second_kid = idp.rotate_keys(keep_old=True)
    assert second_kid != first_kid and idp.issuer == f"http://127.0.0.1:{idp.port}"
    assert [key["kid"] for key in httpx.get(idp.jwks_uri).json()["keys"]] == [second_kid, first_kid]
    new_jwt = idp.sign_in("alice@legacy.example", "alice-password")["access_token"]
    assert decode(idp, new_jwt).header["kid"] == second_kid
    assert decode(idp, old_jwt).claims["sub"] == "legacy-user-alice"  # old key still published
    assert idp.introspect(old_opaque)["active"] is True  # tokens survive the restart

    third_kid = idp.rotate_keys(keep_old=False)
    assert [key["kid"] for key in httpx.get(idp.jwks_uri).json()["keys"]] == [third_kid]
    with pytest.raises(InvalidKeyIdError):
        decode(idp, old_jwt)  # its kid is gone from the JWKS
    assert decode(idp, idp.sign_in("bob@legacy.example", "bob-password")["access_token"]).header["kid"] == third_kid


def test_stop_is_a_real_outage_and_start_keeps_the_issuer(legacy_idp_fresh: LegacyIdP) -> None:
    idp = legacy_idp_fresh
    opaque = idp.sign_in("bob@legacy.example", "bob-password", resource=OPAQUE_RESOURCE)["access_token"]
    idp.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(idp.jwks_uri)
    idp.start()
    assert httpx.get(f"{idp.issuer}/.well-known/openid-configuration").json()["issuer"] == idp.issuer
    assert idp.introspect(opaque)["active"] is True
