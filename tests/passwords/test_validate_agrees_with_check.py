"""Import validates a hash with ``validate`` (no comparison built); sign-in checks it with ``check``.

Both must accept and refuse the same strings, with the same messages."""

from __future__ import annotations

import pytest

from authshift.passwords import Limits, PasswordFormatError, formats
from authshift.passwords.formats.base import Context
from authshift.passwords.registry import by_name, recognise

# A format chosen only by name shows its example as {"hash": ..., "format": ...}.
EXAMPLES = [info.example if isinstance(info.example, str) else info.example["hash"] for info in formats() if not info.structured]
ODD = [
    "$2b$3$" + "a" * 54, "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "$2b$03$" + "a" * 53,
    "$2b$15$" + "a" * 53, "$2y$31$" + "a" * 53, "$2a$32$" + "a" * 53, "$2b$10$" + "a" * 52, "$2b$10$" + "a" * 52 + "!",
    "$2b$1a$" + "a" * 53, "$wp$2y$16$" + "a" * 53, "$wp$2y$10$short", "bcrypt$$2b$10$" + "a" * 53,
]


def outcome(call: object) -> str:
    try:
        call()  # type: ignore[operator]
    except PasswordFormatError as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def _recognised(value: str) -> bool:
    return outcome(lambda: recognise(value)) == "ok"


VALUES = [value for value in EXAMPLES + ODD + [example[:-3] for example in EXAMPLES] if _recognised(value)]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("limits", [Limits(), Limits(bcrypt_max_cost=9, pbkdf2_max_iterations=1000)])
def test_validate_refuses_exactly_what_check_refuses(value: str, limits: Limits) -> None:
    fmt = recognise(value)
    ctx = Context(limits=limits, hash_configs=None)
    assert outcome(lambda: fmt.validate(value, ctx)) == outcome(lambda: fmt.check(value, ctx))


def test_bcrypt_validates_without_building_a_comparison() -> None:
    assert type(by_name("bcrypt")).validate is not type(by_name("argon2id")).validate
