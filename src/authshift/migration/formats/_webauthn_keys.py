"""A passkey's public key in the forms other systems write, to the COSE_Key authshift stores, and back.

authshift keeps a passkey's public key as the COSE_Key (RFC 9052 §7) its authenticator returned at
registration, which py_webauthn verifies signatures with. Other systems keep the same key in
another form: FusionAuth as PEM (SubjectPublicKeyInfo) beside a COSE algorithm number
(``/api/webauthn/import``: ``publicKey``, ``algorithm``), Auth0's authentication methods as
base64 text. ``cose_key`` turns any of these into a COSE_Key with ``cryptography`` reading the key
(never hand-parsed DER); ``spki_pem`` does the reverse for writers (FusionAuth's import shape).

The COSE algorithm must fit the key: an RSA key says how it signs (PKCS#1 v1.5 or PSS, which
hash) only through the algorithm, so it is kept as given; an EC key's algorithm follows from its
curve when none is given. A key py_webauthn cannot verify with (an unknown curve, ES384 which it
does not implement) is refused here, so the reader can say so for that passkey alone.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from authshift.records import COSE_KEY_PROBLEM, usable_cose_key

__all__ = ["ALGORITHM_NAMES", "KeyUnusable", "algorithm_number", "cose_key", "spki_pem"]

# COSE algorithm numbers (IANA "COSE Algorithms") and the JOSE-style names systems also write.
ALGORITHM_NAMES = {"ES256": -7, "EdDSA": -8, "ES384": -35, "ES512": -36, "PS256": -37, "PS384": -38,
                   "PS512": -39, "RS256": -257, "RS384": -258, "RS512": -259}
_RSA_ALGORITHMS = frozenset({-37, -38, -39, -257, -258, -259})
_CURVES = {"secp256r1": (1, -7), "secp384r1": (2, -35), "secp521r1": (3, -36)}  # name -> (crv, default alg)
_CURVE_OF_CRV = {1: ec.SECP256R1(), 2: ec.SECP384R1(), 3: ec.SECP521R1()}
# COSE key parameters (RFC 9052 §7.1, RFC 9053 §7): kty, alg; EC2/OKP crv, x, y; RSA n, e.
_KTY, _ALG, _CRV, _X, _Y, _N, _E = 1, 3, -1, -2, -3, -1, -2
_OKP, _EC2, _RSA = 1, 2, 3


class KeyUnusable(ValueError):
    """The public key cannot be used for a passkey here (the message says why, never the key)."""


def algorithm_number(value: Any) -> int | None:
    """A COSE algorithm given as a number (-7) or a name ("ES256"); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise KeyUnusable("the algorithm must be a COSE algorithm number or name")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        if text in ALGORITHM_NAMES:
            return ALGORITHM_NAMES[text]
    raise KeyUnusable(f"the algorithm {value!r} is not a COSE algorithm number or name")


def _decode_text(text: str) -> bytes:
    stripped = "".join(text.split())
    padded = stripped + "=" * (-len(stripped) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise KeyUnusable("the public key is neither PEM nor base64") from None


def _fixed(number: int, size: int) -> bytes:
    return number.to_bytes(size, "big")


def _from_public_key(key: Any, algorithm: int | None) -> bytes:
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in _CURVES:
            raise KeyUnusable(f"the EC curve {key.curve.name} is not one WebAuthn uses")
        crv, default = _CURVES[key.curve.name]
        alg = default if algorithm is None else algorithm
        if alg != default:
            raise KeyUnusable(f"the algorithm {alg} does not fit a {key.curve.name} key")
        size = (key.curve.key_size + 7) // 8
        numbers = key.public_numbers()
        return cbor2.dumps({_KTY: _EC2, _ALG: alg, _CRV: crv, _X: _fixed(numbers.x, size), _Y: _fixed(numbers.y, size)})
    if isinstance(key, rsa.RSAPublicKey):
        alg = -257 if algorithm is None else algorithm
        if alg not in _RSA_ALGORITHMS:
            raise KeyUnusable(f"the algorithm {alg} does not fit an RSA key")
        numbers = key.public_numbers()
        return cbor2.dumps({_KTY: _RSA, _ALG: alg, _N: _fixed(numbers.n, (numbers.n.bit_length() + 7) // 8),
                            _E: _fixed(numbers.e, (numbers.e.bit_length() + 7) // 8)})
    if isinstance(key, ed25519.Ed25519PublicKey):
        if algorithm not in (None, -8):
            raise KeyUnusable(f"the algorithm {algorithm} does not fit an Ed25519 key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cbor2.dumps({_KTY: _OKP, _ALG: -8, _CRV: 6, _X: raw})
    raise KeyUnusable("the public key is not an EC, RSA or Ed25519 key")


def _checked(cose: bytes) -> bytes:
    """The COSE_Key, once py_webauthn has read it as a key it verifies signatures with."""
    if not usable_cose_key(cose):
        raise KeyUnusable(f"the key is {COSE_KEY_PROBLEM}")
    return cose


def cose_key(value: Any, algorithm: Any = None) -> bytes:
    """PEM text, base64 of DER SubjectPublicKeyInfo, or base64 of a COSE_Key -> a COSE_Key.

    ``algorithm`` (a COSE number or name) is the one the system recorded; it must fit the key.
    Raises ``KeyUnusable``."""
    alg = algorithm_number(algorithm)
    if not isinstance(value, str) or not value.strip():
        raise KeyUnusable("there is no public key")
    text = value.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, TypeError):
            raise KeyUnusable("the PEM public key cannot be read") from None
        return _checked(_from_public_key(key, alg))
    raw = _decode_text(text)
    if raw[:1] == b"\x30":  # a DER SEQUENCE: SubjectPublicKeyInfo
        try:
            key = serialization.load_der_public_key(raw)
        except (ValueError, TypeError):
            raise KeyUnusable("the DER public key cannot be read") from None
        return _checked(_from_public_key(key, alg))
    try:
        decoded = cbor2.loads(raw)
    except (cbor2.CBORDecodeError, ValueError, TypeError, EOFError):
        raise KeyUnusable("the public key is neither PEM, DER nor a COSE key") from None
    if not isinstance(decoded, dict):
        raise KeyUnusable("the public key is neither PEM, DER nor a COSE key")
    if alg is not None and decoded.get(_ALG) != alg:
        raise KeyUnusable(f"the COSE key's algorithm {decoded.get(_ALG)} is not the recorded {alg}")
    return _checked(raw)


def spki_pem(cose: bytes) -> tuple[str, int]:
    """A COSE_Key -> (PEM SubjectPublicKeyInfo, COSE algorithm number), as FusionAuth imports it."""
    decoded = cbor2.loads(cose)
    kty, alg = decoded[_KTY], decoded[_ALG]
    key: Any
    if kty == _EC2:
        curve = _CURVE_OF_CRV[decoded[_CRV]]
        key = ec.EllipticCurvePublicNumbers(int.from_bytes(decoded[_X], "big"), int.from_bytes(decoded[_Y], "big"),
                                            curve).public_key()
    elif kty == _RSA:
        key = rsa.RSAPublicNumbers(int.from_bytes(decoded[_E], "big"), int.from_bytes(decoded[_N], "big")).public_key()
    elif kty == _OKP:
        key = ed25519.Ed25519PublicKey.from_public_bytes(decoded[_X])
    else:
        raise KeyUnusable(f"COSE key type {kty} is not EC2, RSA or OKP")
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return pem.strip(), int(alg)
