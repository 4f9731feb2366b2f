"""Readers of user export files: authshift's own format and the formats other systems write.

Every reader is ``read(stream, *, options) -> Iterator[SourceItem]`` and yields native-shaped
objects, so every record goes through the same ``parse_record``. A reader raises
``SourceFormatError`` when it is called on a file that is not in its format as a whole (before
anything is yielded); problems of single records are items with ``errors``.
``get_reader(name)`` returns the reader registered under a format name (``FORMATS`` lists them).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from authshift.migration.sources import auth0, cognito, django, firebase, fusionauth, keycloak, kratos, native, supabase
from authshift.migration.sources.base import Reader, SourceFormatError, SourceItem, SourceOptions, epoch_to_iso
from authshift.migration.sources.native import iter_native, record_to_csv_row

__all__ = [
    "FORMATS",
    "READERS",
    "Reader",
    "SourceFormatError",
    "SourceItem",
    "SourceOptions",
    "UnknownFormat",
    "epoch_to_iso",
    "get_reader",
    "iter_native",
    "record_to_csv_row",
]

READERS: Mapping[str, Reader] = MappingProxyType({
    "native": native.read,
    "auth0": auth0.read,
    "firebase": firebase.read,
    "django": django.read,
    "keycloak": keycloak.read,
    "cognito": cognito.read,
    "supabase": supabase.read,
    "kratos": kratos.read,
    "fusionauth": fusionauth.read,
})
FORMATS: tuple[str, ...] = tuple(READERS)


class UnknownFormat(ValueError):
    """A format name no reader is registered under."""


def get_reader(name: str) -> Reader:
    try:
        return READERS[name]
    except KeyError:
        raise UnknownFormat(f"unknown import format {name!r}; choose one of {', '.join(FORMATS)}") from None
