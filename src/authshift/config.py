"""Settings: environment variables ``AUTHSHIFT_*`` and an optional TOML file.

Precedence, highest first: explicit overrides (CLI flags), environment variables, the TOML file
named by ``--config`` or ``AUTHSHIFT_CONFIG``, then the defaults below. Nested settings can be
set from the environment with a double underscore: ``AUTHSHIFT_PASSWORDS__BCRYPT_MAX_COST=12``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_PORT = 8000
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./authshift.db"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PasswordSettings(_Section):
    """Ceilings on imported hash parameters, so a hostile file cannot exhaust memory or CPU."""

    bcrypt_max_cost: int = 14
    scrypt_max_n: int = 2**20
    scrypt_max_r: int = 32
    scrypt_max_p: int = 16
    argon2_max_memory_kib: int = 262_144
    argon2_max_time_cost: int = 10
    argon2_max_parallelism: int = 8
    pbkdf2_max_iterations: int = 2_000_000
    hashing_threads: int = Field(default_factory=lambda: os.cpu_count() or 2)


class HashConfigSettings(_Section):
    """Project-wide parameters of a hash family (Firebase's modified scrypt), as its console shows them."""

    algorithm: str = "SCRYPT"
    base64_signer_key: SecretStr
    base64_salt_separator: str = ""
    rounds: int
    mem_cost: int


class LegacySettings(_Section):
    """The legacy system's endpoints for rolling migration (``[migration.legacy]``)."""

    verify_url: str | None = None
    lookup_url: str | None = None
    writeback_url: str | None = None
    secret: SecretStr | None = None
    timeout_seconds: float = 2.0
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0


class CohortSettings(_Section):
    """One rolling-migration cohort (``[[migration.cohorts]]``); the first that matches decides."""

    name: str | None = None
    email_domains: list[str] = []
    login_ids: list[str] = []
    percentage: float | None = Field(default=None, ge=0, le=100)
    attributes: dict[str, Any] = {}
    action: Literal["migrate", "legacy"]


class TokenExchangeIssuerSettings(_Section):
    """A legacy token issuer (``[[migration.token_exchange.issuers]]``)."""

    name: str
    enabled: bool = True
    type: Literal["jwt", "introspection", "hook"]
    token_types: list[str] = []
    # jwt
    issuer: str | None = None
    jwks_uri: str | None = None
    audiences: list[str] = []
    algorithms: list[str] = ["RS256"]
    secret: SecretStr | None = None
    leeway_seconds: int = 30
    required_claims: list[str] = []
    jwks_min_refresh_seconds: float = 60.0
    # introspection
    introspection_endpoint: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    # hook
    url: str | None = None
    # claim mapping
    subject_claim: str = "sub"
    email_claim: str = "email"
    claims: dict[str, str] = {}
    on_unknown_user: Literal["create", "reject"] = "reject"
    userinfo_endpoint: str | None = None


class TokenExchangeSettings(_Section):
    issuers: list[TokenExchangeIssuerSettings] = []
    replay_window_seconds: int = 3600
    admin_sessions_enabled: bool = False


class MigrationSettings(_Section):
    new_signups: Literal["authshift", "legacy"] = "authshift"
    legacy: LegacySettings = LegacySettings()
    cohorts: list[CohortSettings] = []
    token_exchange: TokenExchangeSettings = TokenExchangeSettings()


class ImportSettings(_Section):
    """Bulk import jobs (``[imports]``): where uploads are kept, batch size, job leases."""

    data_dir: Path = Path("authshift-data/imports")
    batch_size: int = Field(default=5000, ge=1, le=20_000)
    lease_seconds: float = Field(default=60.0, gt=0)
    poll_seconds: float = Field(default=2.0, gt=0)
    max_upload_bytes: int = Field(default=20 * 1024**3, gt=0)
    keep_uploads: bool = False
    runner: bool = True
    # Files this large or larger are read and validated by a second process (the second core).
    reader_process_min_bytes: int = Field(default=16 * 1024**2, ge=0)


class Settings(BaseSettings):
    """Everything authshift reads from its environment. Secrets are ``SecretStr`` and never printed."""

    model_config = SettingsConfigDict(
        env_prefix="AUTHSHIFT_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    issuer: str | None = None
    secret_key: SecretStr | None = None
    encryption_key: SecretStr | None = None
    secrets_file: Path = Path("authshift.secrets.json")
    log_level: str = "info"
    log_format: Literal["json", "console"] = "console"
    passwords: PasswordSettings = PasswordSettings()
    hash_configs: dict[str, HashConfigSettings] = {}
    migration: MigrationSettings = MigrationSettings()
    imports: ImportSettings = ImportSettings()

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        return async_database_url(url)

    @property
    def public_issuer(self) -> str:
        """The issuer URL, without a trailing slash; defaults to ``http://127.0.0.1:<port>``."""
        return (self.issuer or f"http://127.0.0.1:{self.port}").rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def async_database_url(url: str) -> str:
    """Accept the URL forms people paste (``postgres://``, ``postgresql://``, ``sqlite:///``)."""
    for prefix, replacement in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(prefix):
            return replacement + url[len(prefix):]
    return url


class _TomlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._data


class ConfigFileError(ValueError):
    """The TOML configuration file cannot be read."""


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigFileError(f"configuration file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"configuration file {path} is not valid TOML: {exc}") from exc


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings from overrides, the environment and the TOML file (in that order)."""
    path = config_file or os.environ.get("AUTHSHIFT_CONFIG")
    file_data = read_config_file(Path(path)) if path else {}

    class _Loaded(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, _TomlSource(settings_cls, file_data))

    loaded = _Loaded(**{k: v for k, v in overrides.items() if v is not None})
    return Settings.model_construct(**dict(loaded))
