"""Firebase parameters given inline in a record are moved out of the password row: the stored
hash names them (a name derived from them), and still verifies with them."""

from __future__ import annotations

import json

from authshift.passwords import formats, parse, verify
from authshift.passwords.formats.firebase import externalize_hash_config


def test_inline_parameters_are_named_not_stored_with_the_hash() -> None:
    info = next(i for i in formats() if i.name == "firebase_scrypt")  # github.com/firebase/scrypt's sample
    stored = parse(info.example)
    assert "signer_key" in stored.value  # the pure layer keeps what it was given...
    named, configs = externalize_hash_config(stored)
    assert "signer_key" not in named.value and json.loads(named.value)["hash_config"] in configs  # ...import does not
    assert verify(info.example_password, named, hash_configs=configs).ok
    assert not verify(info.example_password + "x", named, hash_configs=configs).ok
    # equal parameters, one name; the name is stable
    again, configs_again = externalize_hash_config(parse(dict(info.example)))
    assert again == named and configs_again.keys() == configs.keys()
    other = dict(info.example, hash_config={**info.example["hash_config"], "rounds": 7})  # type: ignore[dict-item]
    assert externalize_hash_config(parse(other))[1].keys() != configs.keys()


def test_other_hashes_are_left_alone() -> None:
    stored = parse("$2a$05$c92SVSfjeiCD6F2nAD6y0uBpJDjdRkt0EgeC4/31Rf2LUZbDRDE.O")
    assert externalize_hash_config(stored) == (stored, {})
    by_name = parse({"algorithm": "firebase_scrypt", "hash": "AAAA", "salt": "AAAA", "hash_config": "project-a"})
    assert externalize_hash_config(by_name) == (by_name, {})
