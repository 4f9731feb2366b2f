"""The contract every hash format implements, and what the registry keeps about it.

A format turns a stored value into a ``Checked`` hash (syntax and ceilings verified) that
can compare a candidate password. Self-describing formats also say whether they recognise
a string; structured formats turn an import record's password object into canonical JSON.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NamedTuple

from authshift.passwords.errors import PasswordFormatError
from authshift.passwords.model import HashConfig, Limits


# Named tuples, not frozen dataclasses: a bulk import builds one of each per record, and a tuple
# is built in a fraction of the time (both stay immutable).
class Context(NamedTuple):
    limits: Limits
    hash_configs: Mapping[str, HashConfig] | None


class Checked(NamedTuple):
    """A stored hash that passed its syntax and ceiling checks, ready to compare passwords."""

    matches: Callable[[str], bool]
    needs_rehash: bool = True


class HashFormat(ABC):
    """A format recognised from its own self-describing string."""

    name: ClassVar[str]
    description: ClassVar[str]
    recognised_by: ClassVar[str]
    example_password: ClassVar[str]
    example: ClassVar[str | Mapping[str, Any]]
    structured: ClassVar[bool] = False
    prefixes: ClassVar[tuple[str, ...]] = ()
    # Other names an import may give in "format" / --hash-format to choose this format (besides
    # its own name and the part of its name before the first "_", e.g. "werkzeug").
    families: ClassVar[tuple[str, ...]] = ()
    # True for a format whose strings have the shape of an earlier format's: it is only ever chosen
    # when the import names it, so its export names it too ("format"), or it would come back as
    # the other one.
    named_only: ClassVar[bool] = False

    def recognises(self, value: str) -> bool:
        """Whether ``value`` is written in this format (a cheap check of its prefix and shape)."""
        return bool(self.prefixes) and value.startswith(self.prefixes)

    def ambiguous_with(self, value: str) -> tuple[str, ...]:
        """Names of the other formats ``value`` (recognised as this one) could equally be written in.

        A non-empty answer means the family was guessed from the shape: the import warns and the
        user's readiness is ``unverified`` until a sign-in proves the guess.
        """
        return ()

    def family_names(self) -> tuple[str, ...]:
        """What "format" / --hash-format may say to choose this format."""
        return (self.name, self.name.split("_", 1)[0], *self.families)

    @abstractmethod
    def check(self, value: str, ctx: Context) -> Checked:
        """Parse ``value``, enforce the ceilings, and return the comparison."""

    def validate(self, value: str, ctx: Context) -> None:
        """What ``check`` refuses, without building the comparison (import parses one hash per record).

        A format whose ``check`` does more than parse may override it with its parser alone.
        """
        self.check(value, ctx)

    def fail(self, reason: str) -> PasswordFormatError:
        return PasswordFormatError(reason, self.name)


class StructuredFormat(HashFormat):
    """A format given as an object in the import record (it has no self-describing string).

    ``algorithms`` are the values of the object's "algorithm" key that select this format
    (compared case-insensitively, with '-' and '_' ignored).
    """

    structured: ClassVar[bool] = True
    algorithms: ClassVar[tuple[str, ...]]

    @abstractmethod
    def load(self, obj: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], Checked]:
        """Validate ``obj``; return its canonical form (defaults filled in) and the comparison."""

    def canonical_value(self, obj: Mapping[str, Any], ctx: Context) -> str:
        canonical, _ = self.load(obj, ctx)
        return json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def check(self, value: str, ctx: Context) -> Checked:
        try:
            obj = json.loads(value)
        except ValueError:
            raise self.fail("stored value is not a JSON object") from None
        if not isinstance(obj, dict):
            raise self.fail("stored value is not a JSON object")
        return self.load(obj, ctx)[1]


def algorithm_key(name: str) -> str:
    """How "algorithm" values are compared: case-insensitive, '-' and '_' ignored."""
    return name.lower().replace("-", "").replace("_", "")
