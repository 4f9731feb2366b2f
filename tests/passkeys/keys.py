"""Passkeys made by the test: an EC P-256 key pair, its COSE public key for the import record and
its PKCS#8 private key for the virtual authenticator (``WebAuthn.addCredential``)."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class MadePasskey:
    credential_id: bytes
    user_handle: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str

    @classmethod
    def make(cls, rp_id: str) -> MadePasskey:
        return cls(os.urandom(16), os.urandom(16), ec.generate_private_key(ec.SECP256R1()), rp_id)

    def cose_public_key(self) -> bytes:
        """RFC 9053 EC2 key: kty 2, alg -7 (ES256), crv 1 (P-256), x, y."""
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def spki_pem(self) -> str:
        """The public key as PEM SubjectPublicKeyInfo (FusionAuth's ``publicKey``)."""
        return self.private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def import_entry(self, *, sign_count: int = 0, rp_id: str | None = None, name: str = "Imported key") -> dict[str, Any]:
        entry = {"credential_id": b64url(self.credential_id), "public_key": b64url(self.cose_public_key()),
                 "sign_count": sign_count, "user_handle": b64url(self.user_handle), "transports": ["internal"],
                 "backup_eligible": True, "backup_state": True, "name": name, "created_at": "2024-03-01T10:00:00Z"}
        if rp_id is not None:
            entry["rp_id"] = rp_id
        return entry

    def devtools_credential(self, *, sign_count: int = 0) -> dict[str, Any]:
        """``WebAuthn.Credential`` for ``WebAuthn.addCredential``: the same id, RP ID and user handle."""
        pkcs8 = self.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption())
        return {"credentialId": base64.b64encode(self.credential_id).decode(), "isResidentCredential": True,
                "rpId": self.rp_id, "privateKey": base64.b64encode(pkcs8).decode(),
                "userHandle": base64.b64encode(self.user_handle).decode(), "signCount": sign_count}
