"""What account services need from the running instance: hash ceilings, hash configurations and
the keys that protect MFA secrets at rest. Built once from the settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from authshift.config import Settings
from authshift.passwords import HashConfig, Limits
from authshift.security.instance_secrets import InstanceSecrets
from authshift.security.secretbox import SecretBox


@dataclass(frozen=True)
class AccountsContext:
    limits: Limits
    hash_configs: dict[str, HashConfig]
    totp_box: SecretBox = field(repr=False)
    recovery_pepper: bytes = field(repr=False)
    # encrypts the signer keys of stored hash configs (accounts.hash_config_store)
    hash_config_box: SecretBox | None = field(default=None, repr=False)
    webauthn_rp_id: str = "localhost"  # imported passkeys must be for this RP ID (accounts.passkey_rows)

    def recovery_code_digest(self, code: str) -> str:
        normalised = "".join(code.split()).replace("-", "").lower()
        return hmac.new(self.recovery_pepper, normalised.encode(), hashlib.sha256).hexdigest()


def limits_from_settings(settings: Settings) -> Limits:
    p = settings.passwords
    known = set(Limits.__dataclass_fields__)
    values: dict[str, Any] = {k: v for k, v in p.model_dump().items() if k in known}
    return Limits(**values)


def hash_configs_from_settings(settings: Settings) -> dict[str, HashConfig]:
    return {
        name: HashConfig(
            signer_key=base64.b64decode(cfg.base64_signer_key.get_secret_value()),
            salt_separator=base64.b64decode(cfg.base64_salt_separator),
            rounds=cfg.rounds,
            mem_cost=cfg.mem_cost,
        )
        for name, cfg in settings.hash_configs.items()
    }


def build_accounts_context(settings: Settings, secrets: InstanceSecrets) -> AccountsContext:
    return AccountsContext(
        limits=limits_from_settings(settings),
        hash_configs=hash_configs_from_settings(settings),
        totp_box=SecretBox(secrets.encryption_key, "totp"),
        recovery_pepper=hmac.new(secrets.secret_key, b"recovery-codes", hashlib.sha256).digest(),
        hash_config_box=SecretBox(secrets.encryption_key, "hash-config"),
        webauthn_rp_id=settings.webauthn_rp_id,
    )
