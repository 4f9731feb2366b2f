"""Project hash parameters (Firebase's modified scrypt) kept in the database, by name.

A Firebase user's stored password names its project's parameters (``"hash_config": "<name>"``);
sign-in finds them here, so users imported with ``--hash-config FILE`` can sign in on every
process that shares the database, and two projects live side by side under two names
(``--hash-config-name``). The signer key is a secret: it is kept encrypted with the instance's
encryption key (``SecretBox``, purpose ``hash-config``), never logged, and written to an export
only with ``--include-secrets``. A name, once given parameters, keeps them: registering other
parameters under it is refused (its users would stop verifying).
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authshift.errors import FieldError, InvalidInput
from authshift.passwords import HashConfig, PasswordFormatError, StoredPassword
from authshift.passwords.assess import NEEDS_HASH_CONFIG
from authshift.passwords.formats.firebase import (
    INLINE_PREFIX,
    externalize_hash_config,
    hash_config_from_mapping,
    inline_config_name,
)
from authshift.security.secretbox import SecretBox
from authshift.storage.tables import metadata
from authshift.storage.types import UtcDateTime, utcnow

if TYPE_CHECKING:
    from authshift.accounts.context import AccountsContext
    from authshift.migration.imports.plan import Candidate

PURPOSE = "hash-config"

password_hash_configs = sa.Table(
    "password_hash_configs",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("algorithm", sa.Text, nullable=False),  # "firebase_scrypt"
    sa.Column("signer_key_encrypted", sa.Text, nullable=False),
    sa.Column("salt_separator", sa.Text, nullable=False),  # base64 (not a secret)
    sa.Column("rounds", sa.Integer, nullable=False),
    sa.Column("mem_cost", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)


def _same(a: HashConfig, b: HashConfig) -> bool:
    return (hmac.compare_digest(a.signer_key, b.signer_key) and a.salt_separator == b.salt_separator
            and a.rounds == b.rounds and a.mem_cost == b.mem_cost)


async def load_hash_configs(conn: AsyncConnection, box: SecretBox, names: list[str] | None = None) -> dict[str, HashConfig]:
    """The stored configs (all, or those of ``names``), their signer keys decrypted."""
    query = sa.select(password_hash_configs)
    if names is not None:
        query = query.where(password_hash_configs.c.name.in_(names))
    rows = (await conn.execute(query)).mappings()
    return {
        row["name"]: HashConfig(
            signer_key=box.decrypt(row["signer_key_encrypted"]),
            salt_separator=base64.b64decode(row["salt_separator"]),
            rounds=row["rounds"],
            mem_cost=row["mem_cost"],
        )
        for row in rows
    }


def conflict(name: str) -> InvalidInput:
    return InvalidInput(
        "the hash config name is taken",
        errors=[FieldError("hash_config", f"'{name}' already holds other hash parameters (another project's?): "
                                          "give this project its own --hash-config-name")],
    )


async def store_hash_configs(conn: AsyncConnection, box: SecretBox, configs: Mapping[str, HashConfig],
                             configured: Mapping[str, HashConfig]) -> None:
    """Keep ``configs`` under their names; equal parameters already kept are left alone.

    Raises ``InvalidInput`` when a name already holds other parameters (in the database or in the
    settings' ``[hash_configs]``)."""
    stored = await load_hash_configs(conn, box, list(configs))
    for name, config in configs.items():
        existing = stored.get(name) or configured.get(name)
        if existing is not None:
            if not _same(existing, config):
                raise conflict(name)
            if name in stored:
                continue
        await conn.execute(password_hash_configs.insert().values(
            name=name, algorithm="firebase_scrypt", signer_key_encrypted=box.encrypt(config.signer_key),
            salt_separator=base64.b64encode(config.salt_separator).decode("ascii"), rounds=config.rounds,
            mem_cost=config.mem_cost, created_at=utcnow(),
        ))


async def check_hash_config_names(engine: AsyncEngine, ctx: AccountsContext, configs: Mapping[str, HashConfig]) -> None:
    """Refuse (``InvalidInput``) before a job starts when a name already holds other parameters."""
    if not configs or ctx.hash_config_box is None:
        return
    async with engine.connect() as conn:
        stored = await load_hash_configs(conn, ctx.hash_config_box, list(configs))
    for name, config in configs.items():
        existing = stored.get(name) or ctx.hash_configs.get(name)
        if existing is not None and not _same(existing, config):
            raise conflict(name)


def hash_config_as_json(config: HashConfig) -> dict[str, object]:
    """The console's fields (what ``--hash-config`` reads back): for exports with secrets only."""
    return {
        "algorithm": "SCRYPT",
        "base64_signer_key": base64.b64encode(config.signer_key).decode("ascii"),
        "base64_salt_separator": base64.b64encode(config.salt_separator).decode("ascii"),
        "rounds": config.rounds,
        "mem_cost": config.mem_cost,
    }


async def export_hash_configs(conn: AsyncConnection, ctx: AccountsContext | None) -> dict[str, HashConfig]:
    """Every config a stored password may name (the stored ones and the settings'), signer keys
    decrypted: for an export with secrets only, which writes them inline (``with_parameters``)."""
    if ctx is None:
        return {}
    stored = await load_hash_configs(conn, ctx.hash_config_box) if ctx.hash_config_box is not None else {}
    return {**stored, **ctx.hash_configs}


def with_parameters(password: dict[str, Any], configs: Mapping[str, HashConfig]) -> dict[str, Any]:
    """An exported password object (``rows.stored_password_as_record``) that names a Firebase
    project's parameters, with those parameters written inline instead (the console's fields),
    signer key included: a fresh authshift has no config of that name, and verifies the user
    with the parameters the record carries. Only for exports with ``--include-secrets``; an
    unknown name is left as it is."""
    reference = password.get("hash_config")
    if not isinstance(reference, str) or reference not in configs:
        return password
    return {**password, "hash_config": hash_config_as_json(configs[reference])}


def stored_value_with_parameters(value: str, configs: Mapping[str, HashConfig]) -> str:
    """``with_parameters`` for a stored password's value (its canonical JSON)."""
    obj = json.loads(value)
    return json.dumps(with_parameters(obj, configs), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


async def job_hash_configs_kept(engine: AsyncEngine, ctx: AccountsContext, file_configs: Mapping[str, HashConfig],
                                checked: Mapping[str, HashConfig], *, keep: bool) -> dict[str, HashConfig]:
    """The hash configs an import job uses: the settings', the stored ones and the file's; the
    file's are stored first (``keep``: not on a dry run), so its users can sign in afterwards."""
    assert ctx.hash_config_box is not None
    async with engine.begin() as conn:
        if keep and file_configs:
            await store_hash_configs(conn, ctx.hash_config_box, file_configs, ctx.hash_configs)
        stored = await load_hash_configs(conn, ctx.hash_config_box)
    return {**stored, **checked}


async def hash_configs_for(engine: AsyncEngine, ctx: AccountsContext, stored: StoredPassword) -> Mapping[str, HashConfig]:
    """The hash configs that verify ``stored``: the settings', plus the stored one it names.

    Found configs are kept in ``ctx.hash_configs`` (a name never changes its parameters)."""
    if stored.format not in NEEDS_HASH_CONFIG or ctx.hash_config_box is None:
        return ctx.hash_configs
    try:
        reference = json.loads(stored.value).get("hash_config")
    except ValueError:
        return ctx.hash_configs
    if not isinstance(reference, str) or reference in ctx.hash_configs:
        return ctx.hash_configs
    async with engine.connect() as conn:
        found = await load_hash_configs(conn, ctx.hash_config_box, [reference])
    ctx.hash_configs.update(found)
    return ctx.hash_configs


def inline_configs(stored: StoredPassword | None, rec: Mapping[str, Any] | None) -> dict[str, HashConfig]:
    """The Firebase parameters an import record gives inline, under the name its stored password
    uses instead (``prepare`` rewrote it, ``externalize_hash_config``): where sign-in finds them
    once the import keeps them. Judging the record (readiness, a dry run's known answers) uses
    them before they are kept. Empty for any other record."""
    if stored is None or stored.format not in NEEDS_HASH_CONFIG or rec is None:
        return {}
    password = rec.get("password")
    reference = password.get("hash_config") if isinstance(password, Mapping) else None
    if not isinstance(reference, Mapping):
        return {}
    try:
        config = hash_config_from_mapping(reference, stored.format)
    except PasswordFormatError:
        return {}
    return {inline_config_name(config): config}


async def keep_inline_hash_configs(engine: AsyncEngine, ctx: AccountsContext, cands: Iterable[Candidate]) -> None:
    """Store the Firebase parameters records of an import batch gave inline (``prepare`` made
    their passwords name them). Before the batch's own transaction: a name derived from the
    parameters is never wrong, so one kept for a batch that is then redone does no harm."""
    wanted: dict[str, HashConfig] = {}
    for cand in cands:
        stored = cand.stored_password
        if stored is not None and stored.format in NEEDS_HASH_CONFIG and f'"{INLINE_PREFIX}' in stored.value:
            wanted.update(inline_configs(stored, cand.rec))
    new = {name: config for name, config in wanted.items() if name not in ctx.hash_configs}
    if new and ctx.hash_config_box is not None:
        async with engine.begin() as conn:
            await store_hash_configs(conn, ctx.hash_config_box, new, ctx.hash_configs)
        ctx.hash_configs.update(new)


async def externalized(conn: AsyncConnection, ctx: AccountsContext, stored: StoredPassword) -> StoredPassword:
    """``stored`` with inline Firebase parameters kept in the database (encrypted) and named."""
    stored, configs = externalize_hash_config(stored)
    if configs and ctx.hash_config_box is not None:
        await store_hash_configs(conn, ctx.hash_config_box, configs, ctx.hash_configs)
    return stored
