"""Readers of user export files: authshift's own format and the formats other systems write.

Every reader is ``read(stream, *, options) -> Iterator[SourceItem]`` and yields native-shaped
objects, so every record goes through the same ``parse_record``.
"""

from __future__ import annotations

from authshift.migration.sources.base import Reader, SourceFormatError, SourceItem, SourceOptions
from authshift.migration.sources.native import iter_native

__all__ = ["Reader", "SourceFormatError", "SourceItem", "SourceOptions", "iter_native"]
