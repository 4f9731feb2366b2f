"""Every TOML example in the docs loads as a valid configuration (an example that rots fails here)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from authshift.config import load_settings

DOCS = Path(__file__).resolve().parents[2] / "docs"
TOML_BLOCK = re.compile(r"```toml\n(.*?)```", re.S)


def toml_examples() -> list[tuple[str, str]]:
    found = []
    for doc in sorted(DOCS.glob("*.md")):
        for i, block in enumerate(TOML_BLOCK.findall(doc.read_text())):
            found.append((f"{doc.name}#{i + 1}", block))
    return found


@pytest.mark.parametrize("name,block", toml_examples(), ids=[n for n, _ in toml_examples()])
def test_toml_example_is_a_valid_configuration(name: str, block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("AUTHSHIFT_")]:
        monkeypatch.delenv(key)
    path = tmp_path / "example.toml"
    path.write_text(block)
    load_settings(path)


def test_readme_gives_exactly_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", readme, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


def test_every_settings_section_is_documented() -> None:
    from pydantic import BaseModel

    from authshift.config import Settings

    text = (DOCS / "configuration.md").read_text()
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            assert f"[{name}]" in text or f"## {name}" in text, f"[{name}] is not documented in docs/configuration.md"
        else:
            assert f"`{name}`" in text or f"[{name}." in text, f"{name} is not documented in docs/configuration.md"
