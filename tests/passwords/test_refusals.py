"""Bad input: tampered, truncated and malformed hashes, unknown formats, cost over a ceiling.

Every one must raise a typed error naming the format and the problem, and never echo the hash.
"""

from __future__ import annotations

import pytest

from authshift.passwords import CeilingExceeded, Limits, PasswordFormatError, StoredPassword, formats, identify, parse, verify

SECRET_LOOKING = "c2VjcmV0c2FsdHNlY3JldHNhbHQ"


def _tamper(value: str) -> str:
    """Change one character inside the checksum near the end (keeping the alphabet).

    Not the last characters: in base64 those may carry only padding bits."""
    position = len(value) - 6
    replacement = "A" if value[position] != "A" else "B"
    return value[:position] + replacement + value[position + 1 :]


STRING_EXAMPLES = [(info.name, info.example_password, info.example) for info in formats() if not info.structured]


def _hash_of(example: str | dict) -> str:
    """The hash string (a format chosen only by name shows {"hash": ..., "format": ...})."""
    return example if isinstance(example, str) else example["hash"]


def _as_example(example: str | dict, value: str) -> str | dict:
    return value if isinstance(example, str) else {**example, "hash": value}


@pytest.mark.parametrize(("name", "password", "example"), STRING_EXAMPLES, ids=[e[0] for e in STRING_EXAMPLES])
def test_a_tampered_hash_does_not_verify(name: str, password: str, example: str | dict) -> None:
    tampered = _as_example(example, _tamper(_hash_of(example)))
    try:
        stored = parse(tampered)
    except PasswordFormatError:
        return  # some tamperings break the encoding itself: refused, also fine
    assert verify(password, stored).ok is False


@pytest.mark.parametrize(("name", "password", "example"), STRING_EXAMPLES, ids=[e[0] for e in STRING_EXAMPLES])
def test_a_truncated_hash_is_refused_or_never_verifies(name: str, password: str, example: str | dict) -> None:
    value = _hash_of(example)
    for cut in (len(value) // 2, len(value) - 3):  # (3: past any base64 padding)
        truncated = value[:cut]
        try:
            stored = parse(_as_example(example, truncated))
        except PasswordFormatError as exc:
            assert truncated not in str(exc)
            continue
        # Shapes with a variable-length salt stay parseable when cut; they must not verify.
        assert verify(password, stored).ok is False, f"{name}: a truncated hash verified"


@pytest.mark.parametrize(
    "value",
    ["", "   ", "plaintext-password", "$9$abc$def", "$2z$10$" + "a" * 53, "{FOO}bar", "pbkdf3_sha256$1$a$b", "0" * 31, "$argon2x$v=19$m=1,t=1,p=1$a$b"],
)
def test_unknown_formats_are_refused(value: str) -> None:
    with pytest.raises(PasswordFormatError) as caught:
        parse(value)
    assert caught.value.format is None
    assert "unrecognised" in caught.value.reason
    with pytest.raises(PasswordFormatError):
        identify(value)


CEILINGS = [
    ("bcrypt", "$2b$15$" + "a" * 53, "bcrypt_max_cost"),
    ("argon2id", "$argon2id$v=19$m=1048576,t=2,p=1$c29tZXNhbHQ$0Vh6ygkiw7XWqD7asxvuPE667zQu1hJ6VdGbI1GtH0E", "argon2_max_memory_kib"),
    ("argon2id", "$argon2id$v=19$m=65536,t=11,p=1$c29tZXNhbHQ$0Vh6ygkiw7XWqD7asxvuPE667zQu1hJ6VdGbI1GtH0E", "argon2_max_time_cost"),
    ("argon2i", "$argon2i$v=19$m=65536,t=2,p=9$c29tZXNhbHQ$0Vh6ygkiw7XWqD7asxvuPE667zQu1hJ6VdGbI1GtH0E", "argon2_max_parallelism"),
    ("scrypt", "$scrypt$ln=21,r=8,p=1$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI", "scrypt_max_n"),
    ("scrypt", "$scrypt$ln=10,r=33,p=1$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI", "scrypt_max_r"),
    ("scrypt", "$scrypt$ln=10,r=8,p=17$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI", "scrypt_max_p"),
    ("scrypt", "$scrypt$ln=20,r=16,p=1$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI", "scrypt_max_memory_bytes"),
    ("django_scrypt", "scrypt$2097152$salt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==", "scrypt_max_n"),
    ("werkzeug_scrypt", "scrypt:32768:64:1$salt$" + "ab" * 64, "scrypt_max_r"),
    ("pbkdf2_sha256", "$pbkdf2-sha256$2000001$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ", "pbkdf2_max_iterations"),
    ("django_pbkdf2_sha256", "pbkdf2_sha256$99999999$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA=", "pbkdf2_max_iterations"),
    ("werkzeug_pbkdf2", "pbkdf2:sha256:3000000$salt$" + "ab" * 32, "pbkdf2_max_iterations"),
    ("sha512_crypt", "$6$rounds=999999999$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "crypt_max_rounds"),
    ("phpass", "$P$J12345678L6Lpt4BxNotVIMILOa9u81", "phpass_max_log2"),
    ("drupal7_sha512", "$S$JeIZ1KTE.VzRvudZ5.xgOakipuMFrVyPmRdWTjAdYieWj27NMglI", "phpass_max_log2"),
    ("wordpress_bcrypt", "$wp$2y$16$" + "a" * 53, "bcrypt_max_cost"),
    # libxcrypt's cost 11 (N = 2^18, r = 32: 1 GiB)
    ("yescrypt", "$y$jFT$orifYPbLNTij0ti5xP/UE/$" + "a" * 43, "scrypt_max_memory_bytes"),
    ("pbkdf2_md4", "$pbkdf2-md4$i=20001,l=16$c2FsdA$+wYYGEdExa48aF5cH1kq/w", "pbkdf2_md4_max_iterations"),
]


@pytest.mark.parametrize(("name", "value", "setting"), CEILINGS, ids=[c[2] + ":" + c[0] for c in CEILINGS])
def test_costs_over_a_ceiling_are_refused_at_parse_and_at_verify(name: str, value: str, setting: str) -> None:
    with pytest.raises(CeilingExceeded) as caught:
        parse(value)
    assert caught.value.format == name
    assert f"[passwords] {setting}" in caught.value.reason  # the setting a user can change, as the config file names it
    # a value stored before the ceiling was lowered is refused too, before any hashing
    with pytest.raises(CeilingExceeded):
        verify("password", StoredPassword(format=name, value=value))


def test_ceilings_are_configurable() -> None:
    value = "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"
    with pytest.raises(CeilingExceeded):
        parse(value, limits=Limits(bcrypt_max_cost=9))
    assert parse(value, limits=Limits(bcrypt_max_cost=10)).format == "bcrypt"


def test_structured_ceilings() -> None:
    rfc6070_4 = {"algorithm": "pbkdf2-sha1", "hash": "eefe3d61cd4da4e4e9945b3d6ba2158c2634e984", "hash_encoding": "hex", "salt": "salt", "salt_encoding": "utf8", "iterations": 16777216}
    with pytest.raises(CeilingExceeded, match="pbkdf2_max_iterations"):
        parse(rfc6070_4)
    aspnet = {"algorithm": "aspnet_identity", "hash": "AQAAAAIAmJaAAAAAEAABAgMEBQYHCAkKCwwNDg9B0Oxwty+PGIDSp95gcCfzeDvA4sGapUIUov8usXfD6A=="}
    with pytest.raises(CeilingExceeded, match="iterations 10000000"):
        parse(aspnet)
    firebase = {"algorithm": "firebase_scrypt", "hash": "AAAA", "salt": "AAAA", "hash_config": {"base64_signer_key": "AAAA", "base64_salt_separator": "Bw==", "rounds": 8, "mem_cost": 21}}
    with pytest.raises(CeilingExceeded, match="scrypt_max_n"):
        parse(firebase)
    keycloak = {"type": "password", "secretData": '{"value":"AAAA","salt":"AAAA"}', "credentialData": '{"hashIterations":5,"algorithm":"argon2","additionalParameters":{"memory":["1048576"]}}'}
    with pytest.raises(CeilingExceeded, match="argon2_max_memory_kib"):
        parse(keycloak)


MALFORMED = [
    ("bcrypt", "$2b$3$" + "a" * 54, "not a valid bcrypt"),
    ("bcrypt", "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "not supported"),
    ("bcrypt", "$2b$03$" + "a" * 53, "outside 4..31"),
    ("argon2id", "$argon2id$v=19$m=65536,t=2,p=4,keyid=ABCD$c29tZXNhbHQ$IMit9qkFULCMA/ViizL57cnTLOa5DiVM9eMwpAvPwr4", "keyid"),
    ("argon2i", "$argon2i$v=19$t=2,p=4$c29tZXNhbHQAAAAAAAAAAA$QWLzI4TY9HkL2ZTLc8g6SinwdhZewYrzz9zxCo0bkGY", "not a valid argon2"),
    ("argon2i", "$argon2i$v=19$m=127,t=2,p=16$c29tZXNhbHQ$IMit9qkFULCMA/ViizL57cnTLOa5DiVM9eMwpAvPwr4", "8*p"),
    ("argon2i", "$argon2i$v=18$m=65536,t=2,p=1$c29tZXNhbHQ$IMit9qkFULCMA/ViizL57cnTLOa5DiVM9eMwpAvPwr4", "version 18"),
    ("scrypt", "$scrypt$ln=10,r=1$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ", "r and p are required"),
    ("scrypt", "$scrypt$ln=0,r=1,p=1$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ", "at least 1"),
    ("scrypt", "$scrypt$ln=10,r=A,p=1$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ", "decimal"),
    ("scrypt", "$scrypt$ln=100,r=8,p=1$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ", "neither a log2"),
    ("pbkdf2_sha1", "$pbkdf2$01212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc", "leading zeros"),
    ("pbkdf2_sha1", "$pbkdf2$1212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc$", "not a valid PBKDF2"),
    ("atlassian_pbkdf2_sha1", "{PKCS5S2}c4xaeTQM0lUieMS3V5voiexyX9XhqC2dBd5ecVy!0IPksHChwoTAVYFrhsgoq8/p", "base64"),
    ("django_pbkdf2_sha256", "pbkdf2_sha256$10000$bEwAfNrH1TlQ", "expected pbkdf2_sha256$"),
    ("django_scrypt", "scrypt$16384$seasalt$8$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB", "expected scrypt$"),
    ("django_scrypt", "scrypt$1000$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==", "power of two"),
    ("django_md5", "md5$aa$bb", "hex"),
    ("django_sha1", "sha1$c2e86$0f75", "40 hex digits"),
    ("werkzeug_pbkdf2", "pbkdf2:sha256$salt$" + "ab" * 32, "ambiguous"),
    ("werkzeug_pbkdf2", "pbkdf2:whirlpool:1000$salt$" + "ab" * 32, "digest one of"),
    ("md5_crypt", "$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o!", "not a valid $1$"),
    ("md5_crypt", "$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o.$", "not a valid $1$"),
    ("sha256_crypt", "$5$rounds=010428$uy/jIAhCetNCTtb0$YWvUOXbkqlqhyoPMpN8BMe.ZGsGx2aBvxTvDFI613c3", "leading zeros"),
    ("sha256_crypt", "$5$rounds=10$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC", "between 1000"),
    ("phpass", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r!L0", "not a valid"),
    ("phpass", "$P$4IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", "outside 7..30"),
    ("ldap_salted_md5", "{SMD5}LnuZPJhiaY95/4lmV=pg548xBsD4P4cw", "base64"),
    ("ldap_salted_sha1", "{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMo", "digest followed by a salt"),
    ("ldap_sha1", "{SHA}at+xg6SiyUovktq1redipHiJ", "20-byte digest"),
    ("ldap_crypt", "{CRYPT}nFia0rj2TT59A", "DES crypt is not"),
    ("wordpress_bcrypt", "$wp$2y$10$short", "not a valid bcrypt"),
]


@pytest.mark.parametrize(("name", "value", "reason"), MALFORMED, ids=[f"{m[0]}:{m[2]}" for m in MALFORMED])
def test_malformed_hashes_get_a_clear_reason(name: str, value: str, reason: str) -> None:
    with pytest.raises(PasswordFormatError) as caught:
        parse(value)
    assert caught.value.format == name
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{name} hash: ")


STRUCTURED_MALFORMED = [
    ({"algorithm": "md5"}, "md5", "missing 'hash'"),
    ({"algorithm": "md5", "hash": "abc"}, "md5", "not valid hex"),
    ({"algorithm": "sha256", "hash": "00" * 20}, "sha256", "20 bytes, a sha256 digest is 32"),
    ({"algorithm": "md5", "hash": "00" * 16, "salt_position": "middle"}, "md5", "'salt_position' must be one of prefix, suffix"),
    ({"algorithm": "md5", "hash": "00" * 16, "password_encoding": "ebcdic"}, "md5", "'password_encoding' must be one of"),
    ({"algorithm": "hmac-sha256", "hash": "00" * 32}, "hmac_sha256", "missing 'key'"),
    ({"algorithm": "pbkdf2-sha256", "hash": "AAAAAAAAAAA=", "salt": "AAAA"}, "pbkdf2_raw", "missing 'iterations'"),
    ({"algorithm": "pbkdf2-sha256", "hash": "AAAAAAAAAAA=", "salt": "AAAA", "iterations": "many"}, "pbkdf2_raw", "'iterations' must be an integer"),
    ({"algorithm": "pbkdf2-sha256", "hash": "AAAAAAAAAAA=", "salt": "AAAA", "iterations": True}, "pbkdf2_raw", "'iterations' must be an integer"),
    ({"algorithm": "aspnet_identity", "hash": "AgAAAA=="}, "aspnet_identity", "unknown version byte 0x02"),
    ({"algorithm": "aspnet_identity", "hash": "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1u"}, "aspnet_identity", "49 bytes"),
    ({"algorithm": "aspnet_identity", "hash": "AQAAAAMAACcQAAAAEAABAgMEBQYHCAkKCwwNDg9B0Oxwty+PGIDSp95gcCfzeDvA4sGapUIUov8usXfD6A=="}, "aspnet_identity", "unknown PRF 3"),
    ({"algorithm": "aspnet_identity", "hash": "AQAAAAIAACcQAAAAQAABAgMEBQYHCAkKCwwNDg9B0Oxwty+PGIDSp95gcCfzeDvA4sGapUIUov8usXfD6A=="}, "aspnet_identity", "salt length"),
    ({"type": "password", "secretData": "{not json", "credentialData": "{}"}, "keycloak", "'secretData' is not valid JSON"),
    ({"type": "password", "secretData": '{"value":"AAAA","salt":"AAAA"}', "credentialData": '{"hashIterations":1,"algorithm":"bcrypt"}'}, "keycloak", "unknown PBKDF2 algorithm 'bcrypt'"),
    ({"algorithm": "firebase_scrypt", "hash": "AAAA", "salt": "AAAA", "hash_config": 7}, "firebase_scrypt", "'hash_config' must be"),
    ({"algorithm": "scrypt", "hash": "00" * 32, "hash_encoding": "hex", "n": 1000}, "scrypt_raw", "power of two"),
]


@pytest.mark.parametrize(("spec", "name", "reason"), STRUCTURED_MALFORMED, ids=[f"{m[1]}:{m[2]}" for m in STRUCTURED_MALFORMED])
def test_malformed_structured_objects_get_a_clear_reason(spec: dict, name: str, reason: str) -> None:
    with pytest.raises(PasswordFormatError) as caught:
        parse(spec)
    assert caught.value.format == name
    assert reason in caught.value.reason


def test_objects_without_a_usable_algorithm() -> None:
    with pytest.raises(PasswordFormatError, match="unknown algorithm 'rot13'"):
        parse({"algorithm": "rot13", "hash": "uryyb"})
    with pytest.raises(PasswordFormatError, match="needs a 'hash'"):
        parse({"must_change": True})
    with pytest.raises(PasswordFormatError, match="hash string or an object"):
        parse(42)  # type: ignore[arg-type]


def test_errors_never_contain_the_hash_salt_or_key() -> None:
    cases = [
        "$2b$15$" + SECRET_LOOKING + "a" * 26,
        "$pbkdf2-sha256$1212$" + SECRET_LOOKING + "!$abc",
        {"algorithm": "hmac-sha256", "hash": SECRET_LOOKING, "key": SECRET_LOOKING},
        {"algorithm": "firebase_scrypt", "hash": SECRET_LOOKING, "salt": SECRET_LOOKING, "hash_config": {"base64_signer_key": SECRET_LOOKING + "!", "base64_salt_separator": "Bw==", "rounds": 8, "mem_cost": 14}},
    ]
    for spec in cases:
        with pytest.raises(PasswordFormatError) as caught:
            parse(spec)
        assert SECRET_LOOKING not in str(caught.value)
        assert SECRET_LOOKING not in repr(caught.value.args)


def test_a_stored_value_that_does_not_match_its_format_name_is_refused() -> None:
    with pytest.raises(PasswordFormatError, match="not written in this format"):
        verify("x", StoredPassword(format="bcrypt", value="$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o."))
    with pytest.raises(PasswordFormatError, match="unknown format name"):
        verify("x", StoredPassword(format="rot13", value="uryyb"))
    with pytest.raises(PasswordFormatError, match="not a JSON object"):
        verify("x", StoredPassword(format="md5", value="5f4dcc3b5aa765d61d8327deb882cf99"))
