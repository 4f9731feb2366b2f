"""Keycloak password credentials, as found in realm exports and the CREDENTIAL table.

Accepted shapes (the record's password object, or one element of a user's "credentials"):
- realm export (Keycloak 11+): ``{"type": "password", "secretData": "{\\"value\\":..,\\"salt\\":..}",
  "credentialData": "{\\"hashIterations\\":27500,\\"algorithm\\":\\"pbkdf2-sha256\\"}"}`` (the two
  JSON strings may also be given already decoded)
- flattened: ``{"algorithm": "pbkdf2-sha256", "hash_iterations": 27500, "value": "..", "salt": ".."}``
- legacy (before Keycloak 11): ``{"hashedSaltedValue": "..", "salt": "..", "hashIterations": .., "algorithm": ..}``
value and salt are base64. Algorithms: pbkdf2 (SHA-1), pbkdf2-sha256, pbkdf2-sha512, and
argon2 (Keycloak 24+; additionalParameters type / version / memory / parallelism / hashLength).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from authshift.passwords._codec import b64decode, b64encode, int_field, str_field
from authshift.passwords.errors import PasswordFormatError
from authshift.passwords.formats.argon2 import argon2_matcher, parse_argon2
from authshift.passwords.formats.base import Checked, Context, StructuredFormat
from authshift.passwords.formats.pbkdf2 import Pbkdf2Raw, pbkdf2_digest_of

# Keys that make an object a Keycloak credential, whatever else it carries (public: the record
# schema accepts a credential pasted from a realm export as a structured password).
KEYCLOAK_MARKERS = ("secretData", "credentialData", "hashedSaltedValue", "hash_iterations", "hashIterations")
_MARKERS = KEYCLOAK_MARKERS


def _json_member(obj: Mapping[str, Any], key: str, fmt: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise PasswordFormatError(f"'{key}' is not valid JSON", fmt) from None
    if not isinstance(value, Mapping):
        raise PasswordFormatError(f"'{key}' must be a JSON object", fmt)
    return value


def _first(value: Any) -> Any:
    """Keycloak stores additionalParameters as lists of strings."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


class KeycloakCredential(StructuredFormat):
    name = "keycloak"
    algorithms = ("keycloak",)
    description = "Keycloak password credential (realm export, CREDENTIAL table or pre-11 export), PBKDF2 or Argon2."
    recognised_by = "an object with `secretData` + `credentialData`, or `value` + `hash_iterations`, or `hashedSaltedValue`"
    # From the Strimzi OAuth example realm (kafka-authz realm, user alice), a real Keycloak export.
    example_password = "alice-password"
    example = {
        "type": "password",
        "secretData": '{"value":"KqABIiReBuRWbP4pBct3W067pNvYzeN7ILBV+8vT8nuF5cgYs2fdl2QikJT/7bGTW/PBXg6CYLwJQFYrBK9MWg==",'
        '"salt":"EPgscX9CQz7UnuZDNZxtMw=="}',
        "credentialData": '{"hashIterations":27500,"algorithm":"pbkdf2-sha256"}',
    }

    @staticmethod
    def claims(obj: Mapping[str, Any]) -> bool:
        """Whether an import record's password object is a Keycloak credential."""
        return any(key in obj for key in _MARKERS) or str(obj.get("algorithm", "")).lower() == "keycloak"

    def load(self, obj: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], Checked]:
        fmt = self.name
        if "secretData" in obj or "credentialData" in obj:
            secret = _json_member(obj, "secretData", fmt)
            data = _json_member(obj, "credentialData", fmt)
            value = str_field(secret, "value", fmt)
            salt = str_field(secret, "salt", fmt)
            iterations = int_field(data, "hashIterations", fmt)
            algorithm = str_field(data, "algorithm", fmt)
            params = data.get("additionalParameters") or {}
        else:
            value = str_field(obj, "hashedSaltedValue" if "hashedSaltedValue" in obj else "value", fmt)
            salt = str_field(obj, "salt", fmt)
            iterations = int_field(obj, "hashIterations" if "hashIterations" in obj else "hash_iterations", fmt)
            algorithm_key = "credential_algorithm" if "credential_algorithm" in obj else "algorithm"
            algorithm = str_field(obj, algorithm_key, fmt, default="pbkdf2-sha256")
            params = obj.get("additionalParameters") or obj.get("additional_parameters") or {}
        if not isinstance(params, Mapping):
            raise self.fail("additionalParameters must be an object")
        canonical: dict[str, Any] = {
            "algorithm": "keycloak",
            "credential_algorithm": algorithm,
            "value": value,
            "salt": salt,
            "hash_iterations": iterations,
        }
        if algorithm.lower() == "argon2":
            clean = {key: _first(val) for key, val in params.items()}
            canonical["additional_parameters"] = clean
            return canonical, self._argon2(value, salt, iterations, clean, ctx)
        pbkdf2_digest_of(algorithm, fmt)  # refuses unknown algorithms with this format's name
        _, checked = Pbkdf2Raw().load(
            {"algorithm": algorithm, "hash": value, "salt": salt, "iterations": iterations}, ctx
        )
        return canonical, checked

    def _argon2(self, value: str, salt: str, iterations: int, params: Mapping[str, Any], ctx: Context) -> Checked:
        """Keycloak's Argon2 provider: rebuild the PHC string from the credential's parameters."""
        kind = str(params.get("type", "id")).lower()
        if kind not in ("id", "i", "d"):
            raise self.fail("argon2 type must be id, i or d")
        version = {"1.3": 19, "1.0": 16, "19": 19, "16": 16}.get(str(params.get("version", "1.3")))
        if version is None:
            raise self.fail("argon2 version must be 1.0 or 1.3")
        memory = int_field(params, "memory", self.name, default=7168)
        parallelism = int_field(params, "parallelism", self.name, default=1)
        raw_salt = b64decode(salt, self.name, "salt")
        raw_value = b64decode(value, self.name, "value")
        phc = (
            f"$argon2{kind}$v={version}$m={memory},t={iterations},p={parallelism}"
            f"${b64encode(raw_salt, pad=False)}${b64encode(raw_value, pad=False)}"
        )
        parsed = parse_argon2(phc, self.name, ctx)
        return Checked(argon2_matcher(phc, parsed.type, self.name))
