"""Benchmark: RFC 8693 token exchanges per second on PostgreSQL, for imported users' legacy JWTs.

Setup (not timed): a fresh PostgreSQL database; N imported users (external_id ``legacy-<i>``,
an email, names); a client allowed to use token exchange; a legacy issuer of our own (an RSA
key, its JWKS served by a local HTTP server); N legacy RS256 JWTs, one per user, minted by the
worker processes before the clock starts (the legacy IdP's speed is not what is measured).

Timed, each in ``--processes`` worker processes (default 2, one per core) running
``--concurrency`` exchanges at a time on their own asyncio loop and connection pool:

- authshift, twice: the token-exchange grant handler itself
  (``authshift.migration.token_exchange.service.exchange``): parse, route, verify the JWT with
  the cached JWKS, count the client's attempt (batched in the process), then one transaction:
  the user and their identities (row locked), for an imported user the rest of their record,
  then one combined write (single-use claim, the subject's throttle count, last login and
  imported -> migrated with its ``user.migrated`` event, session, grant, refresh token, audit)
  and the access and ID tokens signed. The first pass is each user's first exchange (imported ->
  migrated); the second, with new legacy tokens, is the steady state of users already migrated;
- floor: a bare handler doing the least an exchange can do: verify one JWT, one indexed lookup
  (the user by external_id), one insert (the single-use claim) in one transaction, and sign
  the response tokens (an RS256 access token and ID token).

Both run over the same tokens (the floor claims them under another issuer name), in the same run;
the script prints exchanges/s for each and the ratio authshift / floor.

Usage:
    PYTHONPATH=src:. /work/venv/bin/python bench/bench_token_exchange.py --users 4000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import asyncpg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from joserfc import jws, jwt  # noqa: E402
from joserfc.jwk import RSAKey  # noqa: E402

from authshift.accounts.rows import build_user_rows  # noqa: E402
from authshift.config import load_settings  # noqa: E402
from authshift.logs import configure_logging  # noqa: E402
from authshift.migration.token_exchange.replay import claim_token  # noqa: E402
from authshift.migration.token_exchange.service import exchange  # noqa: E402
from authshift.oidc.clients import ClientSpec, create_client, get_client  # noqa: E402
from authshift.state import build_state  # noqa: E402
from authshift.storage.db import create_engine  # noqa: E402
from authshift.storage.migrate import upgrade  # noqa: E402
from authshift.storage.tables import identities, users  # noqa: E402
from authshift.storage.types import utcnow  # noqa: E402
from tests.support.legacy_tokens import LocalIssuer  # noqa: E402

PG_ADMIN = os.environ.get("AUTHSHIFT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"


# --------------------------------------------------------------------------- setup


async def _pg(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def env_for(database_url: str, workdir: Path, config: Path) -> dict[str, str]:
    return {
        "AUTHSHIFT_DATABASE_URL": database_url,
        "AUTHSHIFT_SECRET_KEY": base64.urlsafe_b64encode(b"b" * 32).decode(),
        "AUTHSHIFT_ENCRYPTION_KEY": base64.urlsafe_b64encode(b"c" * 32).decode(),
        "AUTHSHIFT_SECRETS_FILE": str(workdir / "secrets.json"),
        "AUTHSHIFT_LOG_LEVEL": "warning",
        "AUTHSHIFT_CONFIG": str(config),
    }


def write_config(path: Path, issuer: LocalIssuer) -> None:
    path.write_text(f"""
[migration.token_exchange]
client_max_exchanges = 1000000000
subject_max_exchanges = 10

[[migration.token_exchange.issuers]]
name = "legacy"
type = "jwt"
issuer = "{issuer.issuer}"
jwks_uri = "{issuer.jwks_uri}"
audiences = ["{issuer.audience}"]
""")


async def populate(database_url: str, n: int) -> str:
    """N imported users (rows built by the one record->rows mapping) and the exchanging client."""
    settings = load_settings()
    state = build_state(settings)
    try:
        now = utcnow()
        async with state.engine.begin() as conn:
            for start in range(0, n, 5000):
                user_rows, ident_rows = [], []
                for i in range(start, min(n, start + 5000)):
                    rows = build_user_rows(
                        {"external_id": f"legacy-{i}", "source": "default", "email": f"user{i}@example.com", "email_verified": True,
                         "given_name": f"Given{i}", "family_name": "Family"},
                        ctx=state.accounts, now=now, migration_state="imported", stored_password=None,
                    )
                    user_rows.append(rows.user)
                    ident_rows.extend(rows.identities)
                await conn.execute(users.insert(), user_rows)
                await conn.execute(identities.insert(), ident_rows)
            client, _ = await create_client(conn, ClientSpec(name="bench", grant_types=["token-exchange", "refresh_token"]))
        return client.client_id
    finally:
        await state.close()


# --------------------------------------------------------------------------- workers


def mint_tokens(key_json: str, issuer: str, audience: str, subjects: range) -> list[str]:
    key = RSAKey.import_key(json.loads(key_json))
    now = int(time.time())
    return [
        jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "at+jwt"},
                   {"iss": issuer, "aud": audience, "sub": f"legacy-{i}", "iat": now, "exp": now + 3600,
                    "jti": secrets.token_urlsafe(12), "client_id": "legacy-app"}, key)
        for i in subjects
    ]


async def drive(handler: Callable[[str], Awaitable[None]], tokens: list[str], concurrency: int) -> tuple[int, float]:
    queue = list(reversed(tokens))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        while queue:
            token = queue.pop()
            try:
                await handler(token)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                failures += 1
                if failures <= 3:
                    print(f"  exchange failed: {type(exc).__name__}: {exc}", file=sys.stderr)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(tokens) - failures, time.perf_counter() - started


async def run_authshift(env: dict[str, str], client_id: str, tokens: list[str], concurrency: int,
                        barrier: Any) -> tuple[int, float]:
    os.environ.update(env)
    settings = load_settings()
    configure_logging("warning", "json")
    state = build_state(settings)
    try:
        async with state.engine.connect() as conn:
            client = await get_client(conn, client_id)
        assert client is not None

        async def handle(token: str) -> None:
            form = {"grant_type": GRANT, "subject_token": token, "subject_token_type": ACCESS, "scope": "openid profile email"}
            done = await exchange(form, client, state, "127.0.0.1")
            assert done.response["access_token"] and done.response["id_token"]

        await handle(tokens[0])  # warm: JWKS fetched, signing key decrypted, pool connected
        await asyncio.to_thread(barrier.wait)
        return await drive(handle, tokens[1:], concurrency)
    finally:
        await state.close()


async def run_floor(env: dict[str, str], jwks_uri: str, tokens: list[str], concurrency: int,
                    barrier: Any) -> tuple[int, float]:
    import httpx
    from joserfc.jwk import KeySet

    engine = create_engine(env["AUTHSHIFT_DATABASE_URL"])
    signing = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
    async with httpx.AsyncClient() as http:
        keys = {k.kid: k for k in KeySet.import_key_set((await http.get(jwks_uri)).json())}
    try:
        async def handle(token: str) -> None:
            obj = jws.extract_compact(token.encode())
            if not jws.validate_compact(obj, keys[obj.headers()["kid"]], algorithms=["RS256"]):
                raise ValueError("bad signature")
            claims = json.loads(obj.payload)
            async with engine.begin() as conn:
                user_id = (await conn.execute(sa.select(users.c.id).where(users.c.external_id == claims["sub"]))).scalar_one()
                if not await claim_token(conn, "floor", "jti:" + claims["jti"], utcnow() + timedelta(hours=1)):
                    raise ValueError("replay")
            now = int(time.time())
            common = {"iss": "https://authshift.example", "sub": str(user_id), "aud": "bench", "iat": now, "exp": now + 600}
            jwt.encode({"alg": "RS256", "kid": signing.kid, "typ": "at+jwt"}, {**common, "jti": secrets.token_urlsafe(16)}, signing)
            jwt.encode({"alg": "RS256", "kid": signing.kid}, common, signing)

        await handle(tokens[0])
        await asyncio.to_thread(barrier.wait)
        return await drive(handle, tokens[1:], concurrency)
    finally:
        await engine.dispose()


def worker_main(kind: str, env: dict[str, str], key_json: str, issuer: str, audience: str, jwks_uri: str,
                client_id: str, subjects: range, concurrency: int, barrier: Any, results: Any) -> None:
    tokens = mint_tokens(key_json, issuer, audience, subjects)
    if kind == "authshift":
        outcome = asyncio.run(run_authshift(env, client_id, tokens, concurrency, barrier))
    else:
        outcome = asyncio.run(run_floor(env, jwks_uri, tokens, concurrency, barrier))
    results.put(outcome)


def measure(kind: str, label: str, args: argparse.Namespace, env: dict[str, str], issuer: LocalIssuer,
            client_id: str) -> float:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(args.processes + 1)
    results = ctx.Queue()
    key_json = json.dumps(issuer.keys[0].as_dict(private=True))
    per = args.users // args.processes
    procs = [
        ctx.Process(target=worker_main, args=(
            kind, env, key_json, issuer.issuer, issuer.audience, issuer.jwks_uri, client_id,
            range(p * per, (p + 1) * per), args.concurrency, barrier, results,
        ))
        for p in range(args.processes)
    ]
    for proc in procs:
        proc.start()
    barrier.wait()  # every worker has minted its tokens and warmed up
    started = time.perf_counter()
    outcomes = [results.get(timeout=3600) for _ in procs]
    wall = time.perf_counter() - started
    for proc in procs:
        proc.join()
    done = sum(n for n, _ in outcomes)
    rate = done / wall
    print(f"  {label:34s}: {done:6d} exchanges in {wall:6.2f} s = {rate:7,.0f}/s")
    if done < per * args.processes - args.processes:
        print(f"  {kind}: {per * args.processes - args.processes - done} exchanges FAILED", file=sys.stderr)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=4_000, help="imported users, one legacy token each")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (one per core)")
    parser.add_argument("--concurrency", type=int, default=16, help="exchanges in flight per process")
    args = parser.parse_args()

    name = f"authshift_bench_tx_{uuid.uuid4().hex[:8]}"
    base = PG_ADMIN.rsplit("/", 1)[0]
    database_url = f"{base}/{name}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory() as tmp, LocalIssuer() as issuer:
            workdir = Path(tmp)
            config = workdir / "authshift.toml"
            write_config(config, issuer)
            env = env_for(database_url, workdir, config)
            os.environ.update(env)
            upgrade(database_url)
            t0 = time.perf_counter()
            client_id = asyncio.run(populate(database_url, args.users))
            print(f"token exchange benchmark: PostgreSQL, {args.users} imported users "
                  f"(populated in {time.perf_counter() - t0:.1f} s), {os.cpu_count()} CPUs, "
                  f"{args.processes} processes x {args.concurrency} exchanges in flight")
            floor = measure("floor", "floor (verify, lookup, insert, sign)", args, env, issuer, client_id)
            first = measure("authshift", "authshift, first exchange", args, env, issuer, client_id)
            again = measure("authshift", "authshift, already migrated", args, env, issuer, client_id)
            print(f"  ratio authshift/floor: first exchange {first / floor:.2f}, already migrated {again / floor:.2f}")
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
