"""Reading project hash parameters (Firebase's modified scrypt) from a file.

Accepted, detected from the content:
- the text block exactly as the Firebase console shows it::

    hash_config {
      algorithm: SCRYPT,
      base64_signer_key: jxspr8Ki0RYy...==,
      base64_salt_separator: Bw==,
      rounds: 8,
      mem_cost: 14,
    }

- JSON or TOML with the keys base64_signer_key, base64_salt_separator, rounds, mem_cost.

One config is named "default"; a JSON/TOML mapping of name -> config gives several.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from authshift.passwords.errors import PasswordFormatError
from authshift.passwords.formats.firebase import hash_config_from_mapping
from authshift.passwords.model import HashConfig

FORMAT = "hash_config"
DEFAULT_NAME = "default"
_CONSOLE_BLOCK = re.compile(r"^\s*hash_config\s*\{(?P<body>.*)\}\s*$", re.DOTALL)
_CONSOLE_FIELD = re.compile(r"(?P<key>[A-Za-z0-9_]+)\s*:\s*(?P<value>[^,\n]*)")
_CONFIG_KEYS = {"base64_signer_key", "signer_key", "signerKey", "hash_key", "hashKey", "rounds"}


def _from_console_text(text: str) -> dict[str, HashConfig]:
    match = _CONSOLE_BLOCK.match(text)
    assert match is not None
    fields = {m["key"]: m["value"].strip() for m in _CONSOLE_FIELD.finditer(match["body"])}
    return {DEFAULT_NAME: hash_config_from_mapping(fields, FORMAT)}


def _from_mapping(data: Mapping[str, Any]) -> dict[str, HashConfig]:
    if "hash_config" in data and isinstance(data["hash_config"], Mapping):
        data = data["hash_config"]
    if _CONFIG_KEYS & set(data):
        return {DEFAULT_NAME: hash_config_from_mapping(data, FORMAT)}
    configs: dict[str, HashConfig] = {}
    for name, value in data.items():
        if not isinstance(value, Mapping):
            raise PasswordFormatError(f"hash config '{name}' must be an object", FORMAT)
        configs[str(name)] = hash_config_from_mapping(value, FORMAT)
    if not configs:
        raise PasswordFormatError("the file holds no hash config", FORMAT)
    return configs


def parse_hash_configs(text: str) -> dict[str, HashConfig]:
    """Hash configs from a file's text (console block, JSON or TOML)."""
    if _CONSOLE_BLOCK.match(text):
        return _from_console_text(text)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PasswordFormatError(f"not valid JSON (line {exc.lineno if hasattr(exc, 'lineno') else '?'})", FORMAT) from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            raise PasswordFormatError("not a Firebase console block, JSON or TOML", FORMAT) from None
    if not isinstance(data, Mapping):
        raise PasswordFormatError("the file must hold an object", FORMAT)
    return _from_mapping(data)


def load_hash_configs(path: str | Path) -> dict[str, HashConfig]:
    """Hash configs from a file (see the module docstring for the accepted forms)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PasswordFormatError(f"cannot read the file ({exc.strerror})", FORMAT) from None
    except UnicodeDecodeError:  # a binary file (an archive, an image): a 422, not a crash
        raise PasswordFormatError("not a text file (UTF-8): not a Firebase console block, JSON or TOML", FORMAT) from None
    return parse_hash_configs(text)
