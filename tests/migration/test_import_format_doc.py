"""Every example of docs/import-format.md is read by the code it documents.

Code blocks are tagged after their language: `json record` (one record, must parse without
warnings), `csv native-file` / `ndjson native-file` (a native file), and `<lang> <format>`
(a file in a foreign format, read by that reader).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from authshift.migration.formats import FORMATS, get_reader, iter_native
from authshift.records import parse_record

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-format.md"
BLOCK = re.compile(r"^```(\w+) ([\w-]+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
BLOCKS = [(match[1], match[2], match[3]) for match in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def test_the_doc_has_examples_of_every_kind() -> None:
    tags = {tag for _, tag, _ in BLOCKS}
    assert {"record", "native-file"} | (set(FORMATS) - {"native"}) <= tags


@pytest.mark.parametrize("text", [text for _, tag, text in BLOCKS if tag == "record"])
def test_record_examples_parse_cleanly(text: str) -> None:
    result = parse_record(json.loads(text))
    assert result.warnings == ()


@pytest.mark.parametrize(("tag", "text"), [(tag, text) for _, tag, text in BLOCKS if tag != "record"])
def test_file_examples_read_cleanly(tag: str, text: str) -> None:
    stream = io.BytesIO(text.encode())
    items = list(iter_native(stream) if tag == "native-file" else get_reader(tag)(stream))
    assert items
    for item in items:
        assert item.parse().record is not None
