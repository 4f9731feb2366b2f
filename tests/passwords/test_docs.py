"""docs/hash-formats.md: every worked example on the page verifies, and the page is current."""

from __future__ import annotations

import json
import re
from pathlib import Path

from authshift.passwords import formats, parse, verify
from authshift.passwords.docgen import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "hash-formats.md"
ENTRY = re.compile(
    r"^### `(?P<name>[a-z0-9_]+)`\n.*?^- Password: `(?P<password>[^`]*)`\n- Stored form:\n\n```(?P<lang>text|json)\n(?P<stored>.*?)\n```",
    re.MULTILINE | re.DOTALL,
)


def _examples() -> list[tuple[str, str, str | dict]]:
    text = DOC.read_text(encoding="utf-8")
    found = []
    for match in ENTRY.finditer(text):
        stored: str | dict = match["stored"] if match["lang"] == "text" else json.loads(match["stored"])
        found.append((match["name"], match["password"], stored))
    return found


def test_every_example_in_the_doc_verifies() -> None:
    examples = _examples()
    assert len(examples) == len(formats())
    for name, password, stored_form in examples:
        stored = parse(stored_form)
        assert stored.format == name
        assert verify(password, stored).ok is True, name
        assert verify(password + "-", stored).ok is False, name


def test_the_doc_lists_every_format_once() -> None:
    names = [name for name, _, _ in _examples()]
    assert sorted(names) == sorted(info.name for info in formats())


def test_the_doc_is_generated_from_the_current_registry() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m authshift.passwords.docgen > docs/hash-formats.md"
