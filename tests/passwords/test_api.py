"""The public surface: native hashing, rehash decisions, dummy verify, async pool, hash configs."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import argon2
import pytest

from authshift import passwords
from authshift.passwords import (
    HashConfig,
    PasswordFormatError,
    StoredPassword,
    dummy_verify,
    dummy_verify_async,
    formats,
    hash_password,
    hash_password_async,
    identify,
    load_hash_configs,
    parse,
    verify,
    verify_async,
)
from tests.passwords.helpers import random_password

FIREBASE_SAMPLE = {
    "algorithm": "firebase_scrypt",
    "hash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
    "salt": "42xEC+ixf3L2lw==",
}
SIGNER_KEY = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
CONSOLE_BLOCK = f"""hash_config {{
  algorithm: SCRYPT,
  base64_signer_key: {SIGNER_KEY},
  base64_salt_separator: Bw==,
  rounds: 8,
  mem_cost: 14,
}}
"""


def test_hash_password_writes_native_argon2id_that_needs_no_rehash() -> None:
    password = random_password()
    stored = hash_password(password)
    assert stored.format == "argon2id" == passwords.NATIVE_FORMAT
    assert stored.value.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify(password, stored) == passwords.VerifyResult(ok=True, needs_rehash=False)
    assert verify(password + "!", stored).ok is False
    assert parse(stored.value) == stored
    assert argon2.PasswordHasher().verify(stored.value, password)  # readable by argon2-cffi itself
    assert hash_password(password).value != stored.value  # fresh salt each time


def test_weaker_argon2id_and_other_variants_need_a_rehash() -> None:
    password = random_password()
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password)
    assert verify(password, parse(weak)) == passwords.VerifyResult(ok=True, needs_rehash=True)
    stronger = argon2.PasswordHasher(time_cost=4, memory_cost=65536, parallelism=4).hash(password)
    assert verify(password, parse(stronger)).needs_rehash is False


def test_a_wrong_password_still_reports_whether_the_hash_is_outdated() -> None:
    stored = parse("$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o.")
    assert verify("wrong", stored) == passwords.VerifyResult(ok=False, needs_rehash=True)


def test_dummy_verify_costs_about_one_native_verify() -> None:
    stored = hash_password("someone")
    dummy_verify("warm-up")
    start = time.perf_counter()
    verify("attempt", stored)
    real = time.perf_counter() - start
    start = time.perf_counter()
    dummy_verify("attempt")
    dummy = time.perf_counter() - start
    assert dummy > real / 3, (dummy, real)
    assert dummy < real * 3 + 0.05, (dummy, real)


async def test_async_variants_run_off_the_event_loop() -> None:
    password = random_password()
    loop_thread = threading.get_ident()
    stored = await hash_password_async(password)
    result = await verify_async(password, stored)
    assert result.ok is True and result.needs_rehash is False
    await dummy_verify_async(password)
    # while a verify runs in the pool, the loop keeps ticking
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    await asyncio.gather(*(verify_async(password, stored) for _ in range(3)))
    task.cancel()
    assert ticks >= 5
    assert threading.get_ident() == loop_thread


async def test_async_verify_raises_format_errors_too() -> None:
    with pytest.raises(PasswordFormatError):
        await verify_async("x", StoredPassword(format="bcrypt", value="$2b$99$" + "a" * 53))


def test_parse_accepts_the_record_password_object_forms() -> None:
    bcrypt_hash = "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"
    assert parse({"hash": bcrypt_hash, "must_change": True, "expire_at": "2030-01-01"}).value == bcrypt_hash
    assert parse({"algorithm": "bcrypt", "hash": bcrypt_hash}).format == "bcrypt"
    assert parse(f"  {bcrypt_hash}\n").value == bcrypt_hash
    # a "$" hash is self-describing even when the algorithm names a structured format
    assert parse({"algorithm": "scrypt", "hash": "$scrypt$ln=4,r=1,p=1$$d9ZXYjhleyA7GcpCwYoEl/FrSETjB0ro39/6P+3iFEI"}).format == "scrypt"


def test_structured_values_are_canonical_compact_json() -> None:
    a = parse({"algorithm": "MD5", "hash": "5f4dcc3b5aa765d61d8327deb882cf99", "must_change": True})
    b = parse({"hash": "5f4dcc3b5aa765d61d8327deb882cf99", "hash_encoding": "hex", "algorithm": "md5", "salt": ""})
    assert a == b
    assert a.format == "md5"
    assert json.loads(a.value) == {
        "algorithm": "md5",
        "hash": "5f4dcc3b5aa765d61d8327deb882cf99",
        "hash_encoding": "hex",
        "salt": "",
        "salt_encoding": "utf8",
        "salt_position": "prefix",
        "password_encoding": "utf8",
    }
    assert " " not in a.value
    assert verify("password", a).ok is True


def test_identify_names_formats_from_their_prefix() -> None:
    assert identify("$2y$10$" + "a" * 53) == "bcrypt"
    assert identify("$argon2id$whatever") == "argon2id"
    assert identify("{ssha512}abc") == "ldap_salted_sha512"
    assert identify("pbkdf2:sha256:1000$x$y") == "werkzeug_pbkdf2"
    assert identify("5f4dcc3b5aa765d61d8327deb882cf99") == "django_unsalted_md5"
    with pytest.raises(PasswordFormatError, match="unrecognised"):
        identify("hunter2")


def test_registry_starts_with_the_native_format_and_names_are_unique() -> None:
    infos = formats()
    assert infos[0].name == "argon2id"
    names = [info.name for info in infos]
    assert len(names) == len(set(names))
    assert {"bcrypt", "firebase_scrypt", "keycloak", "aspnet_identity", "wordpress_bcrypt", "drupal7_sha512"} <= set(names)


def test_every_registry_example_verifies() -> None:
    for info in formats():
        stored = parse(info.example)
        assert stored.format == info.name
        assert verify(info.example_password, stored).ok is True, info.name


def test_firebase_needs_its_named_hash_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "firebase.txt"
    path.write_text(CONSOLE_BLOCK)
    configs = load_hash_configs(path)
    assert set(configs) == {"default"}
    assert configs["default"].rounds == 8 and configs["default"].mem_cost == 14
    assert configs["default"].salt_separator == b"\x07"
    assert "signer_key" not in repr(configs["default"])  # secrets stay out of reprs and logs

    spec = {**FIREBASE_SAMPLE, "hash_config": "default"}
    stored = parse(spec, hash_configs=configs)
    assert verify("user1password", stored, hash_configs=configs).ok is True
    assert verify("user2password", stored, hash_configs=configs).ok is False
    with pytest.raises(PasswordFormatError, match="unknown hash_config 'other'"):
        parse({**spec, "hash_config": "other"}, hash_configs=configs)
    # parsed without configs (deferred), verifying without them says what is missing
    deferred = parse(spec)
    with pytest.raises(PasswordFormatError, match="hash config 'default' is needed"):
        verify("user1password", deferred)
    # the default name is "default" when the record does not name one
    assert verify("user1password", parse(FIREBASE_SAMPLE, hash_configs=configs), hash_configs=configs).ok


def test_hash_config_files_in_json_and_toml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"base64_signer_key": SIGNER_KEY, "base64_salt_separator": "Bw==", "rounds": 8, "mem_cost": 14}))
    several = tmp_path / "several.toml"
    several.write_text(
        f'[prod]\nbase64_signer_key = "{SIGNER_KEY}"\nbase64_salt_separator = "Bw=="\nrounds = 8\nmem_cost = 14\n'
        f'[staging]\nbase64_signer_key = "AAAA"\nbase64_salt_separator = "Bw=="\nrounds = 8\nmem_cost = 14\n'
    )
    camel = tmp_path / "camel.json"
    camel.write_text(json.dumps({"hash_config": {"algorithm": "SCRYPT", "signerKey": SIGNER_KEY, "saltSeparator": "Bw==", "rounds": 8, "memCost": 14}}))
    assert load_hash_configs(single)["default"] == load_hash_configs(camel)["default"]
    configs = load_hash_configs(several)
    assert set(configs) == {"prod", "staging"}
    stored = parse({**FIREBASE_SAMPLE, "hash_config": "prod"}, hash_configs=configs)
    assert verify("user1password", stored, hash_configs=configs).ok is True
    assert isinstance(configs["prod"], HashConfig)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("hash_config {\n algorithm: SCRYPT,\n base64_salt_separator: Bw==,\n rounds: 8,\n mem_cost: 14,\n}", "missing 'base64_signer_key'"),
        ("hash_config {\n algorithm: BCRYPT,\n base64_signer_key: AAAA,\n base64_salt_separator: Bw==,\n rounds: 8,\n mem_cost: 14,\n}", "must be SCRYPT"),
        ('{"base64_signer_key": "AAAA", "base64_salt_separator": "Bw==", "rounds": 8, "mem_cost": 99}', "mem_cost must be between"),
        ('{"base64_signer_key": "A!", "base64_salt_separator": "Bw==", "rounds": 8, "mem_cost": 14}', "signer key is not valid base64"),
        ("{not json", "not valid JSON"),
        ("this is = = not toml", "not a Firebase console block, JSON or TOML"),
    ],
)
def test_bad_hash_config_files_are_refused_clearly(tmp_path, content: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "config"
    path.write_text(content)
    with pytest.raises(PasswordFormatError, match=reason):
        load_hash_configs(path)


def test_missing_hash_config_file() -> None:
    with pytest.raises(PasswordFormatError, match="cannot read the file"):
        load_hash_configs("/nonexistent/firebase.txt")
