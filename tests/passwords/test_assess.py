"""``assess``: which family an imported hash is, whether that is a guess, and whether sign-in can
verify it here. Hashes come from the real producers (Django's and Werkzeug 2.2's own outputs)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from authshift.passwords import HashConfig, assess, verify

WERKZEUG_22 = json.loads((Path(__file__).parent / "fixtures" / "werkzeug_2_2.json").read_text(encoding="utf-8"))["vectors"]
DJANGO_SHA1 = "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8"  # Django's test suite, "lètmein"
NT_PASSWORD = "8846f7eaee8fb117ad06bdd830b7586c"  # NT hash of "password"


def test_a_shape_two_families_share_is_a_guess_until_named() -> None:
    guessed = assess(DJANGO_SHA1)
    assert (guessed.family, guessed.ambiguous, guessed.verifiable) == ("django_sha1", True, True)
    assert guessed.alternatives == ("werkzeug_sha1",) and guessed.warning and "--hash-format" in guessed.warning
    named = assess({"hash": DJANGO_SHA1, "format": "django"})
    assert (named.family, named.ambiguous, named.warning) == ("django_sha1", False, None)
    assert verify("lètmein", named.stored).ok  # type: ignore[arg-type]


def test_werkzeug_22_hashes_verify_only_when_named_werkzeug() -> None:
    for vector in WERKZEUG_22:
        by_file = assess(vector["hash"], named_format="werkzeug")
        assert by_file.family == f"werkzeug_{vector['method']}" and not by_file.ambiguous
        assert verify(vector["password"], by_file.stored).ok, vector  # type: ignore[arg-type]
        assert not verify(vector["password"] + "x", by_file.stored).ok  # type: ignore[arg-type]
        by_record = assess({"hash": vector["hash"], "format": f"werkzeug_{vector['method']}"})
        assert by_record.stored == by_file.stored
        guessed = assess(vector["hash"])
        if vector["method"] in ("sha1", "md5"):  # Django's shape comes first: a guess, and a wrong one here
            assert guessed.ambiguous and guessed.family == f"django_{vector['method']}"
            assert not verify(vector["password"], guessed.stored).ok  # type: ignore[arg-type]
        else:  # sha256$... and the others are Werkzeug's alone
            assert not guessed.ambiguous and guessed.family == by_file.family


def test_32_hex_digits_are_md5_by_guess_or_nt_by_name() -> None:
    guessed = assess(NT_PASSWORD)
    assert guessed.ambiguous and guessed.family == "django_unsalted_md5" and guessed.alternatives == ("nt_hash",)
    named = assess({"hash": NT_PASSWORD, "format": "nt"})
    assert named.family == "nt_hash" and not named.ambiguous
    assert verify("password", named.stored).ok  # type: ignore[arg-type]
    assert not assess("md5$$5f4dcc3b5aa765d61d8327deb882cf99").ambiguous  # prefixed: Django's unsalted MD5


def test_a_file_wide_format_that_does_not_fit_leaves_other_hashes_alone() -> None:
    bcrypt = "$2a$05$c92SVSfjeiCD6F2nAD6y0uBpJDjdRkt0EgeC4/31Rf2LUZbDRDE.O"
    result = assess(bcrypt, named_format="werkzeug")
    assert (result.family, result.ambiguous, result.verifiable) == ("bcrypt", False, True)


def test_a_record_format_that_does_not_fit_is_refused_with_the_reason() -> None:
    result = assess({"hash": "$2a$05$c92SVSfjeiCD6F2nAD6y0uBpJDjdRkt0EgeC4/31Rf2LUZbDRDE.O", "format": "nt"})
    assert not result.verifiable and result.stored is None
    assert result.reason and "'nt'" in result.reason and "bcrypt" in result.reason


def test_unusable_hashes_and_unresolvable_parameters_are_not_verifiable() -> None:
    bad = assess("$2b$20$c92SVSfjeiCD6F2nAD6y0uBpJDjdRkt0EgeC4/31Rf2LUZbDRDE.O")
    assert not bad.verifiable and bad.family == "bcrypt" and "[passwords] bcrypt_max_cost" in (bad.reason or "")
    assert not assess("not a hash").verifiable
    firebase = {"algorithm": "firebase_scrypt", "hash": base64.b64encode(bytes(64)).decode(),
                "salt": "c2FsdA==", "hash_config": "project-a"}
    unknown = assess(firebase)
    assert not unknown.verifiable and "project-a" in (unknown.reason or "")
    config = HashConfig(signer_key=bytes(64), salt_separator=b"\x07", rounds=8, mem_cost=14)
    assert assess(firebase, hash_configs={"project-a": config}).verifiable
