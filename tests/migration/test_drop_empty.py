"""An empty string means an absent field at every level of the schema (not inside custom_attributes).

``_drop_empty`` copies only the containers that change; it must give what a full copy without
the empty strings gives, and never change the object it reads."""

from __future__ import annotations

import copy
import random
from typing import Any

from authshift.records import _drop_empty, parse_record, record_to_json


def reference(value: Any) -> Any:
    """The rule written as a full copy."""
    if isinstance(value, dict):
        return {key: reference(item) if isinstance(item, (dict, list)) and key != "custom_attributes" else item
                for key, item in value.items() if item != ""}
    if isinstance(value, list):
        return [reference(item) if isinstance(item, (dict, list)) else item for item in value if item != ""]
    return value


_KEYS = ["email", "password", "hash", "custom_attributes", "roles", "address", "mfa", "totp", "x", ""]
_SCALARS: list[Any] = ["", "", "a", " ", 0, 0.0, False, True, None, "0"]


def random_value(rng: random.Random, depth: int) -> Any:
    kind = rng.random()
    if depth < 4 and kind < 0.25:
        return {rng.choice(_KEYS): random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    if depth < 4 and kind < 0.4:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return rng.choice(_SCALARS)


def test_drop_empty_agrees_with_a_full_copy_and_leaves_its_input_alone() -> None:
    rng = random.Random(3)
    for _ in range(20000):
        value = {rng.choice(_KEYS): random_value(rng, 1) for _ in range(rng.randint(0, 6))}
        before = copy.deepcopy(value)
        result = _drop_empty(value)
        assert repr(result) == repr(reference(value)), before
        assert repr(value) == repr(before)


def test_only_changed_containers_are_copied() -> None:
    clean = {"email": "a@example.com", "password": {"hash": "x"}, "custom_attributes": {"k": ""}, "roles": ["r"]}
    assert _drop_empty(clean) is clean
    dirty = {"email": "a@example.com", "password": {"hash": "x", "salt": ""}, "roles": ["r"]}
    cleaned = _drop_empty(dirty)
    assert cleaned == {"email": "a@example.com", "password": {"hash": "x"}, "roles": ["r"]}
    assert cleaned["roles"] is dirty["roles"] and dirty["password"] == {"hash": "x", "salt": ""}


def test_a_record_with_unknown_fields_is_parsed_without_touching_the_object_read() -> None:
    obj = {"email": "a@example.com", "extra": {"x": 1}, "address": {"country": "FR", "planet": "Mars"}}
    before = copy.deepcopy(obj)
    parsed = parse_record(obj)
    assert [str(w) for w in parsed.warnings] == ["address.planet: unknown field, ignored", "extra: unknown field, ignored"]
    assert record_to_json(parsed.record) == {"email": "a@example.com", "address": {"country": "FR"}}
    assert obj == before
