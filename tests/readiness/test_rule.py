"""The readiness rule itself (pure): each state, for the reason the issue gives."""

from __future__ import annotations

import base64
import json

import pytest

from authshift import passwords
from authshift.migration.readiness.rule import Credentials, Readiness, TotpFactor, judge
from authshift.passwords import HashConfig, Limits, StoredPassword
from tests.readiness.helpers import FIREBASE, FIREBASE_CONFIG

LIMITS = Limits()
BCRYPT = "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"
CONFIG = HashConfig(signer_key=base64.b64decode(FIREBASE_CONFIG["base64_signer_key"]),
                    salt_separator=base64.b64decode("Bw=="), rounds=8, mem_cost=14)


def firebase(config_name: str) -> StoredPassword:
    return StoredPassword("firebase_scrypt", json.dumps({"algorithm": "firebase_scrypt", **FIREBASE,
                                                         "hash_config": config_name}, sort_keys=True))


def of(creds: Credentials, configs: dict[str, HashConfig] | None = None) -> Readiness:
    return judge(creds, limits=LIMITS, hash_configs=configs or {}).readiness


def test_a_known_unambiguous_hash_is_ready() -> None:
    assert of(Credentials(passwords.parse(BCRYPT))) is Readiness.READY


def test_no_password_is_lazy_or_reset_as_the_record_says() -> None:
    assert of(Credentials(None, "lazy")) is Readiness.LAZY
    assert of(Credentials(None, "reset")) is Readiness.RESET
    assert of(Credentials(None)) is Readiness.RESET


def test_parameters_sign_in_cannot_resolve_mean_reset() -> None:
    judged = judge(Credentials(firebase("proj")), limits=LIMITS, hash_configs={})
    assert judged.readiness is Readiness.RESET and "proj" in (judged.reason or "")
    assert of(Credentials(firebase("proj")), {"proj": CONFIG}) is Readiness.READY


def test_a_hash_over_the_instances_ceiling_is_reset() -> None:
    stored = passwords.parse(BCRYPT)
    assert judge(Credentials(stored), limits=Limits(bcrypt_max_cost=9), hash_configs={}).readiness is Readiness.RESET


@pytest.mark.parametrize("value", ["88a434c88cca4e900f7874cd98123f43", "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8"])
def test_an_ambiguous_shape_is_unverified_until_named_or_proved(value: str) -> None:
    stored = passwords.parse(value)
    assert of(Credentials(stored)) is Readiness.UNVERIFIED
    assert of(Credentials(stored, family_named=True)) is Readiness.READY
    assert of(Credentials(stored, proved=True)) is Readiness.READY


def test_a_shadow_mismatch_is_unverified_even_for_a_clear_family() -> None:
    assert of(Credentials(passwords.parse(BCRYPT), shadow_mismatch=True)) is Readiness.UNVERIFIED


def test_an_unusable_second_factor_means_reset() -> None:
    stored = passwords.parse(BCRYPT)
    assert of(Credentials(stored, totp=[TotpFactor("SHA1", 6, 30, 10)])) is Readiness.READY
    assert of(Credentials(stored, totp=[TotpFactor("MD5", 6, 30, 20)])) is Readiness.RESET
    assert of(Credentials(stored, totp=[TotpFactor("SHA1", 4, 30, 20)])) is Readiness.RESET


def test_a_federated_user_without_a_password_can_only_reset_and_is_told_why() -> None:
    judged = judge(Credentials(None, federated=("google-oauth2",)), limits=LIMITS, hash_configs={})
    assert judged.readiness is Readiness.RESET
    assert "google-oauth2" in (judged.reason or "") and "no upstream social login" in (judged.reason or "")
    assert of(Credentials(passwords.parse(BCRYPT), federated=("google-oauth2",))) is Readiness.READY
    assert of(Credentials(None, "lazy", federated=("google-oauth2",))) is Readiness.LAZY  # the record says so


def test_a_usable_passkey_signs_in_without_a_password() -> None:
    assert of(Credentials(None, passkeys=1)) is Readiness.READY
    assert of(Credentials(passwords.parse(BCRYPT), passkeys=1)) is Readiness.READY


def test_a_second_step_only_an_unusable_passkey_answers_means_reset() -> None:
    why = "made for the RP ID 'legacy.example'"
    judged = judge(Credentials(passwords.parse(BCRYPT), foreign_passkeys=(why,)), limits=LIMITS, hash_configs={})
    assert judged.readiness is Readiness.RESET and "register a new passkey" in (judged.reason or "")
    # another way through the second step: a usable passkey, or a TOTP factor
    assert of(Credentials(passwords.parse(BCRYPT), foreign_passkeys=(why,), passkeys=1)) is Readiness.READY
    assert of(Credentials(passwords.parse(BCRYPT), foreign_passkeys=(why,),
                          totp=[TotpFactor("SHA1", 6, 30, 20)])) is Readiness.READY


def test_what_the_user_loses_is_in_the_reason_whatever_the_state() -> None:
    refused = judge(Credentials(passwords.parse(BCRYPT), refused_passkeys=2), limits=LIMITS, hash_configs={})
    assert refused.readiness is Readiness.READY and "must register a new passkey" in (refused.reason or "")
    lazy = judge(Credentials(None, "lazy", refused_passkeys=1), limits=LIMITS, hash_configs={})
    assert lazy.readiness is Readiness.LAZY and "legacy system" in (lazy.reason or "")
    assert "must register a new passkey" in (lazy.reason or "")
    otp = judge(Credentials(passwords.parse(BCRYPT), otp_channels=("SMS",)), limits=LIMITS, hash_configs={})
    assert otp.readiness is Readiness.READY and "SMS" in (otp.reason or "") and "without" in (otp.reason or "")
    assert judge(Credentials(passwords.parse(BCRYPT)), limits=LIMITS, hash_configs={}).reason is None
