"""Length limits of the fields of a user record (docs/import-format.md, "Limits").

A 50 MB ``name`` was once imported and stored: every text field now has a limit, checked by
pydantic-core before the field's other rules (no cost per record worth measuring), and a
longer value fails its record with the field's path. ``records.UserRecord`` uses these types.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, StringConstraints

__all__ = [
    "MAX_CUSTOM_ATTRIBUTES_BYTES", "MAX_EMAIL", "MAX_LABEL", "MAX_LIST", "MAX_PHONE", "MAX_SHORT", "MAX_TEXT",
    "MAX_URL", "MAX_USERNAME", "CustomAttributes", "Label", "ShortText", "Text", "text_limit",
]

# In characters, except custom_attributes.
MAX_TEXT = 1024  # names, external_id, address parts, disabled_reason, identity subjects...
MAX_EMAIL = 320
MAX_PHONE = 64
MAX_USERNAME = 256
MAX_URL = 2048
MAX_SHORT = 64  # birthdate, zoneinfo, locale, source
MAX_LABEL = 256  # roles, groups, identity providers
MAX_LIST = 1000  # roles, groups, identities
MAX_CUSTOM_ATTRIBUTES_BYTES = 64 * 1024  # custom_attributes as compact JSON


def text_limit(limit: int) -> StringConstraints:
    """A string of at most ``limit`` characters (``Annotated[str, text_limit(n)]``)."""
    return StringConstraints(max_length=limit)


Text = Annotated[str, text_limit(MAX_TEXT)]
ShortText = Annotated[str, text_limit(MAX_SHORT)]
Label = Annotated[str, text_limit(MAX_LABEL)]


def _custom_attributes_size(value: dict[str, Any]) -> dict[str, Any]:
    try:
        size = len(orjson.dumps(value))
    except (orjson.JSONEncodeError, TypeError):
        return value  # values orjson cannot write are refused by the readers (sources._values)
    if size > MAX_CUSTOM_ATTRIBUTES_BYTES:
        raise ValueError(f"is {size} bytes as JSON; at most {MAX_CUSTOM_ATTRIBUTES_BYTES} are kept")
    return value


CustomAttributes = Annotated[dict[str, Any], AfterValidator(_custom_attributes_size)]
