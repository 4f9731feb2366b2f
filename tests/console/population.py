"""A small, varied migration for the console's tests: users imported from two sources (bcrypt
hashes that sign in, a lazy user whose password stays in the legacy system, a user with an
authenticator app and recovery codes), imported with the real ``authshift import``."""

from __future__ import annotations

import json
from pathlib import Path

import bcrypt

from tests.console.conftest import PASSWORD, Console

SHOP = [f"shopper{i}@example.com" for i in range(5)]
AUTH0 = [f"auth0user{i}@example.org" for i in range(3)]
LAZY = "lazy@example.net"
TOTP = "sybil@example.io"


def import_population(console: Console, folder: Path) -> None:
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    shop = [{"external_id": f"shop-{i}", "email": e, "preferred_username": f"shopper{i}", "password": {"hash": hashed},
             "last_login_at": "2026-11-20T10:00:00Z" if i % 2 else None} for i, e in enumerate(SHOP)]
    shop.append({"external_id": "shop-lazy", "email": LAZY, "password_migration": "lazy"})
    shop.append({"external_id": "shop-totp", "email": TOTP, "phone_number": "+447700900123", "password": {"hash": hashed},
                 "mfa": {"totp": [{"secret": "JBSWY3DPEHPK3PXP"}], "recovery_codes": ["7sd9-2kq1", "p0x3-88mz"]}})
    auth0 = [{"external_id": f"auth0|{i}", "email": e, "password": {"hash": hashed}} for i, e in enumerate(AUTH0)]
    for name, records in (("shop", shop), ("auth0", auth0)):
        path = folder / f"{name}.ndjson"
        path.write_text("".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in records))
        done = console.cli("import", str(path), "--source", name, "--report", str(folder / f"{name}.report.ndjson"))
        assert done.returncode == 0, done.stdout + done.stderr
