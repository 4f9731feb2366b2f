"""Readers of user export files: authshift's own format and the formats other systems write.

Every reader is ``read(stream, *, options) -> Iterator[SourceItem]`` and yields native-shaped
objects, so every record goes through the same ``parse_record``. A reader raises
``SourceFormatError`` when it is called on a file that is not in its format as a whole (before
anything is yielded); problems of single records are items with ``errors``.
``get_reader(name)`` returns the reader registered under a format name (``FORMATS`` lists them).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType

from authshift.migration.formats.base import Reader, SourceFormatError, SourceItem, SourceOptions, epoch_to_iso
from authshift.migration.formats.native import iter_native, record_to_csv_row

__all__ = [
    "FORMATS",
    "READER_MODULES",
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

READER_MODULES: Mapping[str, str] = MappingProxyType({
    "native": "authshift.migration.formats.native",
    "auth0": "authshift.migration.formats.auth0.reader",
    "firebase": "authshift.migration.formats.firebase.reader",
    "django": "authshift.migration.formats.django.reader",
    "keycloak": "authshift.migration.formats.keycloak.reader",
    "cognito": "authshift.migration.formats.cognito.reader",
    "supabase": "authshift.migration.formats.supabase.reader",
    "kratos": "authshift.migration.formats.kratos.reader",
    "fusionauth": "authshift.migration.formats.fusionauth.reader",
})
"""Each format's reader module, imported on first use (the readers import this package's base)."""
FORMATS: tuple[str, ...] = tuple(READER_MODULES)


class UnknownFormat(ValueError):
    """A format name no reader is registered under."""


def get_reader(name: str) -> Reader:
    try:
        module = READER_MODULES[name]
    except KeyError:
        raise UnknownFormat(f"unknown import format {name!r}; choose one of {', '.join(FORMATS)}") from None
    reader: Reader = importlib.import_module(module).read
    return reader
