"""Settings: environment variables ``AUTHSHIFT_*`` and an optional TOML file.

Precedence, highest first: explicit overrides (CLI flags), environment variables, the TOML file
named by ``--config`` or ``AUTHSHIFT_CONFIG``, then the defaults below. Nested settings can be
set from the environment with a double underscore: ``AUTHSHIFT_PASSWORDS__BCRYPT_MAX_COST=12``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from authshift.records.fields import DEFAULT_CLAIM_MAPPING, MAPPABLE_FIELDS
from authshift.security.webhook_signatures import InvalidWebhookSecret, signed_headers

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
    scrypt_max_memory_bytes: int = 256 * 1024 * 1024
    crypt_max_rounds: int = 1_000_000
    phpass_max_log2: int = 20
    pbkdf2_md4_max_iterations: int = 20_000
    hashing_threads: int = Field(default_factory=lambda: os.cpu_count() or 2)


class HashConfigSettings(_Section):
    """Project-wide parameters of a hash family (Firebase's modified scrypt), as its console shows them."""

    algorithm: str = "SCRYPT"
    base64_signer_key: SecretStr
    base64_salt_separator: str = ""
    rounds: int
    mem_cost: int


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Events an older version of the application needs to keep its own copy of users current.
DEFAULT_WRITEBACK_EVENTS = [
    "user.created", "user.updated", "user.deleted", "user.disabled", "user.enabled", "password.changed",
    "user.migrated", "mfa.enrolled", "mfa.removed", "passkey.added", "passkey.removed",
]


def check_outbound_url(url: str, *, allow_http: bool, what: str) -> str:
    """An absolute http(s) URL without credentials; plain http only to loopback unless allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{what} must be an absolute https:// URL")
    if parts.username or parts.password:
        raise ValueError(f"{what} must not carry credentials (the requests are signed instead)")
    if parts.scheme == "http" and not allow_http and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"{what} must use https (plain http is accepted for 127.0.0.1/localhost only, "
                         "unless allowed in the configuration)")
    return url


class LegacySettings(_Section):
    """The legacy system's endpoints for rolling migration (``[migration.legacy]``)."""

    verify_url: str | None = None
    lookup_url: str | None = None
    writeback_url: str | None = None
    secret: SecretStr | None = None
    signup_url: str | None = None  # where sign-up pages send people while new_signups = "legacy"
    timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_seconds: float = Field(default=30.0, gt=0)
    allow_http: bool = False  # plain http to a host other than loopback (a private network)
    writeback_events: list[str] = Field(default_factory=lambda: list(DEFAULT_WRITEBACK_EVENTS))
    # Shadow verification: for users bulk-imported with a hash who have not signed in here yet, the
    # legacy system decides each sign-in and authshift checks the imported hash against the same
    # password, recording match or mismatch per hash family and source (docs/rolling-migration.md).
    shadow_verification: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.verify_url or self.lookup_url or self.writeback_url)

    @model_validator(mode="after")
    def _urls_and_secret(self) -> LegacySettings:
        for name in ("verify_url", "lookup_url", "writeback_url"):
            url = getattr(self, name)
            if url is not None:
                check_outbound_url(url, allow_http=self.allow_http, what=f"migration.legacy.{name}")
        if self.configured:
            if self.secret is None:
                raise ValueError("migration.legacy.secret (whsec_<base64>) is required: every legacy call is signed")
            try:
                signed_headers(self.secret.get_secret_value(), b"")
            except InvalidWebhookSecret as exc:
                raise ValueError(f"migration.legacy.secret: {exc}") from None
        return self


class CohortSettings(_Section):
    """One rolling-migration cohort (``[[migration.cohorts]]``); the first that matches decides."""

    name: str | None = None
    email_domains: list[str] = []
    login_ids: list[str] = []
    percentage: float | None = Field(default=None, ge=0, le=100)
    attributes: dict[str, Any] = {}
    action: Literal["migrate", "legacy"]

    @model_validator(mode="after")
    def _has_a_rule(self) -> CohortSettings:
        if not (self.email_domains or self.login_ids or self.percentage is not None or self.attributes):
            raise ValueError("a cohort needs email_domains, login_ids, percentage or attributes")
        return self


STANDARD_TOKEN_TYPES = (
    "urn:ietf:params:oauth:token-type:access_token",
    "urn:ietf:params:oauth:token-type:jwt",
    "urn:ietf:params:oauth:token-type:id_token",
)
ASYMMETRIC_JWS_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
SYMMETRIC_JWS_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
# user-record fields a legacy token's claims may fill (``claims = {field = "claim"}``), and the
# claim each one reads by default: both marked on the record's fields (``records.fields``)
MAPPABLE_RECORD_FIELDS = MAPPABLE_FIELDS


class TokenExchangeIssuerSettings(_Section):
    """A legacy token issuer (``[[migration.token_exchange.issuers]]``) whose tokens authshift exchanges.

    ``type`` says how a token is checked: ``jwt`` (signature against ``jwks_uri`` or ``secret``),
    ``introspection`` (RFC 7662 at ``introspection_endpoint``) or ``hook`` (the customer's ``url``
    answers with a user record). Misconfigurations are refused when the settings load.
    """

    name: str = Field(min_length=1)
    enabled: bool = True
    type: Literal["jwt", "introspection", "hook"]
    token_types: list[str] = []  # subject_token_type URNs accepted; empty: the standard three
    # jwt (``issuer`` also routes JWT-shaped tokens to introspection and hook issuers)
    issuer: str | None = None
    jwks_uri: str | None = None
    audiences: list[str] = []
    algorithms: list[str] = ["RS256"]
    secret: SecretStr | None = None  # HS* key for jwt; the whsec_ signing secret for hook
    leeway_seconds: int = Field(default=30, ge=0, le=3600)
    required_claims: list[str] = []
    jwks_min_refresh_seconds: float = Field(default=60.0, ge=0)
    jwks_max_age_seconds: float = Field(default=3600.0, gt=0)
    # introspection
    introspection_endpoint: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    # hook
    url: str | None = None
    # outbound calls (JWKS, introspection, hook, userinfo)
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    allow_insecure_http: bool = False
    # claim mapping
    subject_claim: str = "sub"
    email_claim: str = "email"
    claims: dict[str, str] = {}  # record field -> claim name (names, phone), on top of the defaults
    external_id_prefix: str = ""  # namespaces external_id when several issuers share subjects
    on_unknown_user: Literal["create", "reject"] = "reject"
    userinfo_endpoint: str | None = None

    @field_validator("algorithms")
    @classmethod
    def _known_algorithms(cls, algorithms: list[str]) -> list[str]:
        if not algorithms:
            raise ValueError("name at least one algorithm")
        for alg in algorithms:
            if alg.lower() == "none":
                raise ValueError("the 'none' algorithm is never accepted")
            if alg not in ASYMMETRIC_JWS_ALGORITHMS | SYMMETRIC_JWS_ALGORITHMS:
                raise ValueError(f"unknown JWS algorithm {alg!r}")
        return algorithms

    @field_validator("claims")
    @classmethod
    def _mappable(cls, claims: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(claims) - MAPPABLE_RECORD_FIELDS)
        if unknown:
            raise ValueError(f"claims can fill {', '.join(sorted(MAPPABLE_RECORD_FIELDS))}; not {', '.join(unknown)}")
        return claims

    @property
    def claim_mapping(self) -> dict[str, str]:
        """Record field -> claim name: the defaults, overridden by ``claims``."""
        return {**DEFAULT_CLAIM_MAPPING, **self.claims}

    @model_validator(mode="after")
    def _consistent(self) -> TokenExchangeIssuerSettings:
        http = self.allow_insecure_http
        for what in ("jwks_uri", "introspection_endpoint", "url", "userinfo_endpoint"):
            if getattr(self, what) is not None:
                check_outbound_url(getattr(self, what), what=f"issuer {self.name!r}: {what}", allow_http=http)
        missing = [
            key for key in {
                "jwt": ["issuer", "audiences"],
                "introspection": ["introspection_endpoint", "client_id", "client_secret"],
                "hook": ["url", "secret"],
            }[self.type] if not getattr(self, key)
        ]
        if missing:
            raise ValueError(f"issuer {self.name!r} of type {self.type} needs {', '.join(missing)}")
        if self.type == "jwt":
            symmetric = set(self.algorithms) & SYMMETRIC_JWS_ALGORITHMS
            if symmetric and symmetric != set(self.algorithms):
                raise ValueError(f"issuer {self.name!r} mixes HS* and public-key algorithms; configure two issuers")
            if symmetric and self.secret is None:
                raise ValueError(f"issuer {self.name!r}: HS* algorithms need a configured secret")
            if not symmetric and self.jwks_uri is None:
                raise ValueError(f"issuer {self.name!r}: public-key algorithms need jwks_uri")
            if not symmetric and self.secret is not None:
                raise ValueError(f"issuer {self.name!r}: a secret is only used with HS* algorithms")
        if self.type == "hook" and self.secret is not None:
            if not self.secret.get_secret_value().startswith("whsec_"):
                raise ValueError(f"issuer {self.name!r}: the hook secret must be a whsec_... signing secret")
        return self


class TokenExchangeSettings(_Section):
    """Zero-downtime migration by RFC 8693 token exchange (``[migration.token_exchange]``)."""

    issuers: list[TokenExchangeIssuerSettings] = []
    replay_window_seconds: int = Field(default=3600, gt=0)  # how long tokens without exp stay single-use
    admin_sessions_enabled: bool = False
    max_token_bytes: int = Field(default=16_384, gt=0)
    client_max_exchanges: int = Field(default=6000, gt=0)  # per client per client_window_seconds
    client_window_seconds: int = Field(default=60, gt=0)
    subject_max_exchanges: int = Field(default=10, gt=0)  # per legacy subject per subject_window_seconds
    subject_window_seconds: int = Field(default=300, gt=0)

    @model_validator(mode="after")
    def _unambiguous(self) -> TokenExchangeSettings:
        names = [issuer.name for issuer in self.issuers]
        if len(set(names)) != len(names):
            raise ValueError("token-exchange issuer names must be unique")
        issuers = [issuer.issuer for issuer in self.issuers if issuer.issuer]
        if len(set(issuers)) != len(issuers):
            raise ValueError("two token-exchange issuers have the same issuer URL; tokens could not be routed")
        opaque = [issuer for issuer in self.issuers if issuer.type != "jwt"]
        if len([issuer for issuer in opaque if not issuer.token_types]) > 1:
            raise ValueError(
                "several introspection/hook issuers accept the standard token types; "
                "give each its own token_types so an opaque token goes to one issuer only"
            )
        declared = [token_type for issuer in opaque for token_type in issuer.token_types]
        if len(set(declared)) != len(declared):
            raise ValueError("a token type is declared by two introspection/hook issuers")
        return self


class DeliverySettings(_Section):
    """Outbox delivery to webhook endpoints and the legacy write-back URL (``[delivery]``)."""

    worker: bool = True  # run the delivery worker in this process
    poll_interval_seconds: float = Field(default=1.0, gt=0)
    # deliveries claimed and sent in parallel per round; claiming no more than can be sent at once
    # means a lease never runs out while its delivery waits for a free slot
    batch_size: int = Field(default=16, ge=1, le=200)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    max_attempts: int = Field(default=10, ge=1, le=100)
    backoff_base_seconds: float = Field(default=30.0, gt=0)
    backoff_max_seconds: float = Field(default=3 * 3600.0, gt=0)
    lease_seconds: float = Field(default=120.0, gt=0)
    allow_insecure_webhook_urls: bool = False  # http:// webhooks to 127.0.0.1/localhost (tests, local dev)

    @model_validator(mode="after")
    def _lease_outlives_a_request(self) -> DeliverySettings:
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError("delivery.lease_seconds must be longer than delivery.timeout_seconds")
        return self


class RetentionSettings(_Section):
    """How long finished background work is kept before housekeeping deletes it (``[retention]``);
    ``0`` keeps it forever. Nothing still needed is ever deleted, and the audit log never is."""

    events_days: int = Field(default=30, ge=0)  # dispatched events no delivery still refers to
    deliveries_days: int = Field(default=30, ge=0)  # delivered or dead deliveries, from when they finished
    export_files_days: int = Field(default=7, ge=0)  # completed exports' files, from when they finished
    mail_days: int = Field(default=7, ge=0)  # logged, sent or failed mail (email_outbox), from when it finished


class MigrationSettings(_Section):
    new_signups: Literal["authshift", "legacy"] = "authshift"
    legacy: LegacySettings = LegacySettings()
    cohorts: list[CohortSettings] = []
    token_exchange: TokenExchangeSettings = TokenExchangeSettings()

    @model_validator(mode="after")
    def _attribute_cohorts_can_look_up(self) -> MigrationSettings:
        if any(c.attributes for c in self.cohorts) and not self.legacy.lookup_url:
            raise ValueError("cohorts with attributes need migration.legacy.lookup_url (the record they match)")
        return self


PasswordClass = Literal["lowercase", "uppercase", "digit", "symbol"]


class PasswordPolicySettings(_Section):
    """Rules for passwords people choose on the sign-up and reset pages (``[password_policy]``).

    Imported hashes are never checked against these: nobody's existing password stops working.
    """

    min_length: int = Field(default=10, ge=1, le=1024)
    max_length: int = Field(default=256, ge=8, le=1024)
    required_classes: list[PasswordClass] = []
    reject_login_id: bool = True
    reject_common: bool = True
    common_passwords_file: Path | None = None  # more passwords to refuse, one a line, added to the bundled list

    @model_validator(mode="after")
    def _lengths(self) -> PasswordPolicySettings:
        if self.min_length > self.max_length:
            raise ValueError("password_policy.min_length is greater than password_policy.max_length")
        return self


class PasswordResetSettings(_Section):
    """Forgot-password links (``[password_reset]``)."""

    token_ttl_minutes: int = Field(default=30, ge=1, le=24 * 60)
    max_emails_per_window: int = Field(default=3, ge=1)  # per user, within one token lifetime


class SmtpSettings(_Section):
    """Outgoing mail (``[smtp]``). Without ``host`` messages go to the log and the ``email_outbox`` table only."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    tls: Literal["starttls", "ssl", "none"] = "starttls"
    ca_file: Path | None = None  # trust this CA bundle instead of the system's (private relays)
    from_address: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    poll_seconds: float = Field(default=5.0, gt=0)

    @model_validator(mode="after")
    def _sender(self) -> SmtpSettings:
        if self.host and not self.from_address:
            raise ValueError("smtp.from_address is required when smtp.host is set")
        if self.password is not None and not self.username:
            raise ValueError("smtp.password is set but smtp.username is not")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.host)
class OidcSettings(_Section):
    """The OpenID Connect provider (``[oidc]``): token lifetimes, signing and the browser session."""

    access_token_ttl_seconds: int = Field(default=600, gt=0)
    id_token_ttl_seconds: int = Field(default=600, gt=0)
    refresh_token_ttl_seconds: int = Field(default=30 * 86400, gt=0)
    authorization_code_ttl_seconds: int = Field(default=60, gt=0)
    session_ttl_seconds: int = Field(default=14 * 86400, gt=0)
    login_flow_ttl_seconds: int = Field(default=900, gt=0)
    signing_alg: Literal["RS256", "ES256"] = "RS256"
    # How long a process keeps the signing key before asking the database again: a key rotated by
    # another process signs here at the latest this many seconds later (0: ask on every token).
    signing_key_cache_seconds: int = Field(default=5, ge=0, le=300)
    session_cookie: str = "authshift_session"

    @property
    def retired_key_published_seconds(self) -> int:
        """How long a signing key must stay published after it stops signing: the longest token
        lifetime, plus the time other processes may still sign with it (their key cache)."""
        return max(self.access_token_ttl_seconds, self.id_token_ttl_seconds) + self.signing_key_cache_seconds


class WebAuthnSettings(_Section):
    """Passkeys (``[webauthn]``). ``rp_id`` is the domain passkeys are bound to: set it to the legacy
    system's domain to keep its users' passkeys; when the login runs on another origin, that domain
    publishes ``/.well-known/webauthn`` (Related Origin Requests, see rolling-migration.md).

    ``rp_id`` and ``origins`` default to the issuer's host and origin."""

    rp_id: str | None = None
    rp_name: str = "authshift"
    origins: list[str] = []
    attestation: Literal["none", "indirect", "direct", "enterprise"] = "none"
    user_verification: Literal["required", "preferred", "discouraged"] = "preferred"
    timeout_seconds: int = Field(default=300, ge=10, le=3600)

    @field_validator("rp_id")
    @classmethod
    def _rp_id_is_a_domain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower().rstrip(".")
        if not value or "/" in value or ":" in value or " " in value:
            raise ValueError("webauthn.rp_id is a domain name such as example.com (no scheme, port or path)")
        return value

    @field_validator("origins")
    @classmethod
    def _origins_are_origins(cls, values: list[str]) -> list[str]:
        out = []
        for value in values:
            parts = urlsplit(value)
            if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/") or parts.query:
                raise ValueError(f"webauthn.origins: {value!r} is not an origin such as https://login.example.com")
            out.append(value.rstrip("/"))
        return out


class ThrottleSettings(_Section):
    """Brute-force protection (``[throttle]``): attempts per account and source, per client IP,
    per account from every source, per window; known devices wait instead of being locked out
    (the policy: ``authshift.security.signin_throttle``, docs/operations.md).

    Counters live in the database, so every process sharing it shares them.
    """

    enabled: bool = True
    account_max_attempts: int = Field(default=10, gt=0)  # per account and client IP (and per known device before delays)
    account_window_seconds: int = Field(default=900, gt=0)
    account_lock_attempts: int = Field(default=100, gt=0)  # per account from every source: then unknown devices wait
    ip_max_attempts: int = Field(default=100, gt=0)
    ip_window_seconds: int = Field(default=900, gt=0)
    known_device_max_delay_seconds: int = Field(default=60, gt=0)
    known_device_days: int = Field(default=90, gt=0)  # how long a browser stays known after a sign-in
    known_network_days: int = Field(default=30, gt=0)  # how long a /24 or /64 stays the owner's after a sign-in


class SignupSettings(_Section):
    """Self-service sign-up (``[signup]``): its throttle, and what a taken email is told.

    ``existing_email = "tell"`` answers 409 "an account with this email already exists";
    ``"email_owner"`` answers exactly as a new sign-up does and emails the address's owner instead,
    so the form cannot be used to learn who has an account.
    """

    existing_email: Literal["tell", "email_owner"] = "tell"
    ip_max_attempts: int = Field(default=20, gt=0)
    ip_window_seconds: int = Field(default=3600, gt=0)


class ImportSettings(_Section):
    """Bulk import jobs (``[imports]``): where uploads are kept, batch size, job leases."""

    data_dir: Path | None = None  # uploaded import files; default: <data_dir>/imports
    batch_size: int = Field(default=5000, ge=1, le=20_000)
    lease_seconds: float = Field(default=60.0, gt=0)
    poll_seconds: float = Field(default=2.0, gt=0)
    max_upload_bytes: int = Field(default=20 * 1024**3, gt=0)
    keep_uploads: bool = False
    runner: bool = True
    # Files this large or larger are read and validated by a second process (the second core).
    reader_process_min_bytes: int = Field(default=16 * 1024**2, ge=0)
    # SQLite: during an import the write-ahead log grows to this many 4 KiB pages before it is
    # copied into the database file (each copy waits for the disk); 0 keeps SQLite's 1,000.
    sqlite_checkpoint_pages: int = Field(default=16384, ge=0)
    # A job whose runs crashed this many times in a row, each before committing a batch, ends
    # failed with the reason instead of being claimed (and crashing) again: docs/operations.md.
    max_attempts: int = Field(default=3, ge=1)


class ConsoleSettings(_Section):
    """The migration console's sessions (``[console]``, docs/console.md): an operator who leaves the
    console alone for ``idle_minutes`` signs in again, and so does everyone after
    ``absolute_minutes`` whatever they did; short, because the console can disable and delete users."""

    idle_minutes: int = Field(default=15, ge=1, le=24 * 60)
    absolute_minutes: int = Field(default=8 * 60, ge=1, le=7 * 24 * 60)
    # Operators may queue and download exports that include password hashes and TOTP secrets
    # (the admin API's secrets:export scope); off: the console's exports never hold secrets.
    allow_secret_exports: bool = False
    # how often the Overview's history (console/snapshots.py) is brought up to date
    snapshot_minutes: float = Field(default=10.0, gt=0, le=24 * 60)


class Settings(BaseSettings):
    """Everything authshift reads from its environment. Secrets are ``SecretStr`` and never printed."""

    model_config = SettingsConfigDict(
        env_prefix="AUTHSHIFT_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    # The instance's folder (AUTHSHIFT_HOME): relative paths below (the SQLite database, the
    # secrets file, the data folder) are resolved against it; unset, the current directory.
    home: Path | None = None
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)
    # requests in progress past which new ones get 503 + Retry-After at once (0: no limit); http/overload.py
    max_queue_depth: int = Field(default=64, ge=0)
    issuer: str | None = None
    secret_key: SecretStr | None = None
    encryption_key: SecretStr | None = None
    secrets_file: Path = Path("authshift.secrets.json")
    data_dir: Path = Path("authshift-data")  # files authshift writes: export results, uploaded imports
    log_level: str = "info"
    log_format: Literal["json", "console"] = "console"
    passwords: PasswordSettings = PasswordSettings()
    hash_configs: dict[str, HashConfigSettings] = {}
    migration: MigrationSettings = MigrationSettings()
    password_policy: PasswordPolicySettings = PasswordPolicySettings()
    password_reset: PasswordResetSettings = PasswordResetSettings()
    smtp: SmtpSettings = SmtpSettings()
    delivery: DeliverySettings = DeliverySettings()
    retention: RetentionSettings = RetentionSettings()
    oidc: OidcSettings = OidcSettings()
    throttle: ThrottleSettings = ThrottleSettings()
    signup: SignupSettings = SignupSettings()
    webauthn: WebAuthnSettings = WebAuthnSettings()
    imports: ImportSettings = ImportSettings()
    console: ConsoleSettings = ConsoleSettings()
    # Proxies (IP addresses or networks) whose X-Forwarded-For / X-Forwarded-Proto are believed;
    # none by default: the client IP is the TCP peer's (docs/operations.md, "Behind a proxy").
    trusted_proxies: Annotated[list[str], NoDecode] = []

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        return async_database_url(url)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: Any) -> Any:
        """From the environment: a JSON list like the other list settings, or one comma-separated
        string (``10.0.0.1, 10.1.0.0/16``) as uvicorn's ``--forwarded-allow-ips`` takes it."""
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {proxy!r} is not an IP address or network (like 10.0.0.0/8)") from None
        return proxies

    @model_validator(mode="after")
    def _under_home(self) -> Settings:
        if self.home is not None:
            self.database_url = sqlite_url_under(self.database_url, self.home)
            self.secrets_file = self.home / self.secrets_file  # an absolute path stays as it is
            self.data_dir = self.home / self.data_dir
        return self

    @property
    def public_issuer(self) -> str:
        """The issuer URL, without a trailing slash; defaults to ``http://127.0.0.1:<port>``."""
        return (self.issuer or f"http://127.0.0.1:{self.port}").rstrip("/")

    @property
    def webauthn_rp_id(self) -> str:
        """The RP ID passkeys are bound to: ``[webauthn] rp_id``, else the issuer's host."""
        return self.webauthn.rp_id or (urlsplit(self.public_issuer).hostname or "localhost")

    @property
    def webauthn_origins(self) -> list[str]:
        """The origins a passkey ceremony may come from: ``[webauthn] origins``, else the issuer's."""
        if self.webauthn.origins:
            return list(self.webauthn.origins)
        parts = urlsplit(self.public_issuer)
        return [f"{parts.scheme}://{parts.netloc}"]

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


def sqlite_url_under(url: str, home: Path) -> str:
    """A SQLite URL with a relative file path, made relative to ``home`` instead of the cwd."""
    for prefix in ("sqlite+aiosqlite:///", "sqlite:///"):
        if url.startswith(prefix):
            rest = url[len(prefix):]
            if rest and not rest.startswith(("/", ":memory:")) and not rest.startswith("file:"):
                return prefix + str((home / rest).absolute())
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
