"""Django: ``manage.py dumpdata auth.user`` (JSON array, or ``--format jsonl``).

Each entry is ``{"model": "auth.user", "pk": 1, "fields": {"password": "pbkdf2_sha256$...",
"last_login": ..., "is_superuser": ..., "username": ..., "first_name": ..., "last_name": ...,
"email": ..., "is_staff": ..., "is_active": ..., "date_joined": ..., "groups": [...],
"user_permissions": [...]}}``. Django's password strings are self-describing
(``algorithm$...``) and go to the passwords package as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from authshift.migration.formats._mapping import RecordBuilder, map_items
from authshift.migration.formats._stream import iter_json_array, iter_ndjson, read_layouts
from authshift.migration.formats.base import SourceItem, SourceOptions

__all__ = ["FORMAT", "read"]

FORMAT = "django"

_MAPPED = {"password", "last_login", "is_superuser", "username", "first_name", "last_name", "email",
           "is_staff", "is_active", "date_joined", "groups", "user_permissions"}


def _group_names(value: Any) -> list[str]:
    """Group primary keys (``[1, 2]``) or natural keys (``[["editors"], ...]`` with --natural-foreign)."""
    names = []
    for group in value if isinstance(value, list) else []:
        if isinstance(group, list) and len(group) == 1:
            group = group[0]
        if isinstance(group, (str, int)) and not isinstance(group, bool):
            names.append(str(group))
    return names


def _mapper(options: SourceOptions):  # type: ignore[no-untyped-def]
    wanted = options.django_model.lower()

    def map_entry(raw: dict[str, Any]) -> RecordBuilder:
        b = RecordBuilder(FORMAT)
        model = raw.get("model")
        if not isinstance(model, str) or model.lower() != wanted:
            b.fail("model", f"not a {options.django_model} entry ({model!r}); choose the user model with the django model option")
            return b
        fields = raw.get("fields")
        if not isinstance(fields, dict):
            b.fail("fields", "missing")
            return b
        pk = raw.get("pk")
        if isinstance(pk, (int, str)) and not isinstance(pk, bool) and pk != "":
            b.put("external_id", str(pk))
        elif isinstance(fields.get("username"), str):
            b.put("external_id", fields["username"])  # dumped with --natural-primary
        b.put_text("preferred_username", fields.get("username"), "fields.username")
        b.put_text("email", fields.get("email"), "fields.email")
        b.put_text("given_name", fields.get("first_name"), "fields.first_name")
        b.put_text("family_name", fields.get("last_name"), "fields.last_name")
        b.put_enabled(fields.get("is_active"), "inactive in Django")
        b.put_time("created_at", fields.get("date_joined"), "fields.date_joined")
        b.put_time("last_login_at", fields.get("last_login"), "fields.last_login")
        b.put("groups", _group_names(fields.get("groups")))
        for flag in ("is_staff", "is_superuser"):
            if isinstance(fields.get(flag), bool):
                b.attribute(flag, fields[flag])
        b.attribute("user_permissions", fields.get("user_permissions") or None)
        # Fields of a custom user model are the app's data: kept as custom attributes.
        for name, value in fields.items():
            if name not in _MAPPED:
                b.attribute(name, value)
        password = fields.get("password")
        if isinstance(password, str) and password:
            if password.startswith("!"):
                b.warn("fields.password", "unusable password (set_unusable_password): the user has no password")
            else:
                b.put("password", {"hash": password})
        return b

    return map_entry


def read(stream: BinaryIO, *, options: SourceOptions = SourceOptions()) -> Iterator[SourceItem]:
    """Users of a ``dumpdata`` file: a JSON array, or JSON lines (``--format jsonl``)."""
    raw_items = read_layouts(stream, {
        "json_array": lambda opened: iter_json_array(opened.stream),
        "ndjson": lambda opened: iter_ndjson(opened.stream),
    }, "a Django dump is the JSON (or jsonl) output of manage.py dumpdata auth.user")
    return map_items(raw_items, _mapper(options), FORMAT)
