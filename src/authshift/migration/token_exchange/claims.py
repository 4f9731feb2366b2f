"""Registered-claim checks shared by the JWT and introspection validators (RFC 7519 section 4.1).

A JWT must carry ``iss`` and, when audiences are configured, ``aud``; an introspection answer is
checked on the claims it has (RFC 7662 makes them optional). ``exp``, ``nbf`` and ``iat`` are
compared with the issuer's leeway either way, and ``required_claims`` must all be present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authshift.migration.token_exchange.errors import invalid_grant


@dataclass(frozen=True)
class ClaimRules:
    issuer: str | None
    audiences: tuple[str, ...]
    leeway_seconds: int
    required_claims: tuple[str, ...]


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_grant("the subject token is malformed", f"claim {name} is not a number")
    return float(value)


def audiences_of(claims: Mapping[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return list(aud)
    if aud is None:
        return []
    raise invalid_grant("the subject token is malformed", "claim aud is neither a string nor a list of strings")


def check_claims(
    claims: Mapping[str, Any], rules: ClaimRules, *, now: float, iss_and_aud_required: bool
) -> float | None:
    """Raise ``invalid_grant`` with the logged reason when a claim fails; return ``exp`` (or None)."""
    missing = [name for name in rules.required_claims if claims.get(name) in (None, "")]
    if missing:
        raise invalid_grant("the subject token lacks a required claim", f"missing required claims {missing}")
    if rules.issuer is not None and ("iss" in claims or iss_and_aud_required):
        if claims.get("iss") != rules.issuer:
            raise invalid_grant("the subject token is from another issuer", "iss does not match the issuer")
    if rules.audiences and ("aud" in claims or iss_and_aud_required):
        if not set(audiences_of(claims)) & set(rules.audiences):
            raise invalid_grant("the subject token is not meant for this audience", "aud matches no configured audience")
    leeway = rules.leeway_seconds
    exp = _number(claims, "exp")
    if exp is not None and now > exp + leeway:
        raise invalid_grant("the subject token has expired", f"expired {int(now - exp)} s ago (leeway {leeway} s)")
    nbf = _number(claims, "nbf")
    if nbf is not None and now + leeway < nbf:
        raise invalid_grant("the subject token is not valid yet", f"nbf is {int(nbf - now)} s ahead (leeway {leeway} s)")
    iat = _number(claims, "iat")
    if iat is not None and now + leeway < iat:
        raise invalid_grant("the subject token is not valid yet", f"iat is {int(iat - now)} s ahead (leeway {leeway} s)")
    return exp


def claim_string(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # numeric legacy ids
    return None


def claim_true(claims: Mapping[str, Any], name: str) -> bool:
    """A boolean claim that says yes (some issuers, Cognito among them, send the string "true")."""
    value = claims.get(name)
    return value is True or (isinstance(value, str) and value.lower() == "true")


__all__: Sequence[str] = ["ClaimRules", "audiences_of", "check_claims", "claim_string", "claim_true"]
