"""The legacy Django application (tests/legacy/django_app) as a test fixture helper.

    legacy = DjangoLegacy(tmp_path, secret=generate_secret())
    legacy.start()
    legacy.create_user("alice", "alice@example.com", "s3cret", hasher="md5", region="eu")
    ... point authshift's [migration.legacy] at legacy.verify_url / lookup_url / writeback_url ...
    legacy.stop()   # a real outage: the process is gone, the port refuses connections
    legacy.start()  # same port, same database
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from authshift.security.webhook_signatures import generate_secret, signed_headers

from ._processes import LegacyServer, ServerProcess, free_port

APP_DIR = Path(__file__).resolve().parent / "django_app"

# Every hasher the app can use, PBKDF2 first as in Django's default: users can then be created
# with any of them (create_user(hasher=...)), and verifying one upgrades it to PBKDF2 as Django does.
ALL_HASHERS = ("pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "scrypt", "md5")


class DjangoLegacy(LegacyServer):
    """One legacy Django application: its own SQLite database, port and webhook secret."""

    def __init__(
        self,
        tmp_path: Path,
        secret: str | None = None,
        *,
        hashers: Sequence[str] = ALL_HASHERS,
        pbkdf2_iterations: int | None = None,
    ) -> None:
        self.directory = Path(tmp_path)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.secret = secret or generate_secret()
        self.hashers = tuple(hashers)
        self.pbkdf2_iterations = pbkdf2_iterations
        self.db_path = self.directory / "legacy.sqlite3"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.verify_url = f"{self.base_url}/authshift/verify"
        self.lookup_url = f"{self.base_url}/authshift/lookup"
        self.writeback_url = f"{self.base_url}/authshift/writeback"
        self._server = ServerProcess("legacy Django app", self.directory / "django.log")

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> DjangoLegacy:
        """Migrate the database and serve on this instance's port; returns once it answers."""
        env = {
            "DJANGO_SETTINGS_MODULE": "legacy_site.settings",
            "LEGACY_DB_PATH": str(self.db_path),
            "LEGACY_WEBHOOK_SECRET": self.secret,
            "LEGACY_PASSWORD_HASHERS": ",".join(self.hashers),
            "LEGACY_PBKDF2_ITERATIONS": str(self.pbkdf2_iterations or ""),
            "LEGACY_ENABLE_CONTROL": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self._server.start(
            [sys.executable, "manage.py", "serve", f"127.0.0.1:{self.port}"],
            cwd=APP_DIR,
            env=env,
            health_url=f"{self.base_url}/healthz",
        )
        return self

    # -- signed HTTP -----------------------------------------------------------------------
    def post(
        self, path: str, payload: Any, *, msg_id: str | None = None, timestamp: int | None = None
    ) -> httpx.Response:
        """POST ``payload`` (an object sent as JSON, or raw bytes) signed with the secret."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = signed_headers(self.secret, body, msg_id=msg_id, timestamp=timestamp)
        headers["content-type"] = "application/json"
        return httpx.post(self.base_url + path, content=body, headers=headers, timeout=30.0)

    def create_user(
        self, username: str, email: str, password: str, hasher: str | None = None, **attrs: Any
    ) -> dict[str, Any]:
        """Create a user the way the legacy app does; returns its authshift record.

        ``hasher``: a Django algorithm from ``hashers`` (default: the first). ``attrs``:
        first_name, last_name, phone_number, region, attributes (dict), groups (list),
        is_active, is_staff, is_superuser, date_joined, last_login (ISO 8601).
        """
        spec = {"username": username, "email": email, "password": password, "hasher": hasher, **attrs}
        return self.create_users([spec])[0]

    def create_users(self, specs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create several users in one request (same keys as create_user)."""
        response = self.post("/_control/users", {"users": list(specs)})
        if response.status_code != 201:
            raise ValueError(f"legacy app refused the users: {response.status_code} {response.text}")
        return response.json()["users"]

    # -- the database, read directly ---------------------------------------------------------
    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        connection = sqlite3.connect(self.db_path, timeout=20)
        try:
            connection.row_factory = sqlite3.Row
            return connection.execute(sql, parameters).fetchall()
        finally:
            connection.close()

    def _user_dict(self, row: sqlite3.Row) -> dict[str, Any]:
        user = dict(row)
        for flag in ("is_active", "is_staff", "is_superuser"):
            user[flag] = bool(user[flag])
        user["attributes"] = json.loads(user["attributes"]) if user["attributes"] else {}
        user["groups"] = [
            group["name"]
            for group in self._query(
                "SELECT g.name FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id "
                "WHERE ug.user_id = ? ORDER BY g.name",
                (user["id"],),
            )
        ]
        return user

    _USER_SELECT = (
        "SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.password, u.is_active, u.is_staff,"
        " u.is_superuser, u.date_joined, u.last_login, p.region, p.phone_number, p.attributes,"
        " p.authshift_id, p.source"
        " FROM auth_user u LEFT JOIN legacy_users_profile p ON p.user_id = u.id"
    )

    def get_user(self, email: str) -> dict[str, Any] | None:
        """The user row (password hash included) whose email matches ignoring case, or None."""
        rows = self._query(f"{self._USER_SELECT} WHERE lower(u.email) = lower(?) ORDER BY u.id LIMIT 1", (email,))
        return self._user_dict(rows[0]) if rows else None

    def get_user_by_username(self, username: str) -> dict[str, Any] | None:
        rows = self._query(f"{self._USER_SELECT} WHERE u.username = ?", (username,))
        return self._user_dict(rows[0]) if rows else None

    def users(self) -> list[dict[str, Any]]:
        return [self._user_dict(row) for row in self._query(f"{self._USER_SELECT} ORDER BY u.id")]

    def writeback_log(self) -> list[dict[str, Any]]:
        """Every write-back applied, in order: webhook_id, type, outcome, user_id, event, received_at."""
        rows = self._query(
            "SELECT webhook_id, event_type, outcome, user_id, payload, received_at"
            " FROM legacy_users_processedwebhook ORDER BY id"
        )
        return [
            {
                "webhook_id": row["webhook_id"],
                "type": row["event_type"],
                "outcome": row["outcome"],
                "user_id": row["user_id"],
                "event": json.loads(row["payload"]),
                "received_at": row["received_at"],
            }
            for row in rows
        ]
