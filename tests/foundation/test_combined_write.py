"""Several writes in one statement (PostgreSQL) or in order (SQLite): rows, returned values, atomicity."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from authshift.accounts import users as svc
from authshift.ids import uuid7
from authshift.oidc.clients import ClientSpec, create_client
from authshift.oidc.tables import grants, sessions
from authshift.security import throttle
from authshift.storage.combined import CombinedWrite, row_insert, row_values
from authshift.storage.db import is_postgres
from authshift.storage.types import utcnow


def _rows(user_id: uuid.UUID, client_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    now = utcnow()
    session = {"id": uuid7(), "user_id": user_id, "kind": "client", "client_id": client_id, "created_at": now,
               "auth_time": now, "amr": ["pwd"]}
    grant = {"id": uuid7(), "session_id": session["id"], "client_id": client_id, "user_id": user_id,
             "scope": "openid", "created_at": now}
    return session, grant


async def test_rows_inserted_together_and_values_returned(app: Any) -> None:
    state = app.state.authshift
    limit = throttle.Limit("ip:combined", 10, 60)
    async with state.engine.begin() as conn:
        user_id = await svc.create_user(conn, {"email": "c@example.com"}, ctx=state.accounts)
        client, _ = await create_client(conn, ClientSpec(name="c", grant_types=["refresh_token"]))
        writes = CombinedWrite([row_insert("session", sessions), row_insert("grant", grants),
                                throttle.hit_write("hit", is_postgres(conn))])
        counts = []
        for _ in range(2):  # the grant refers to the session inserted in the same statement
            session, grant = _rows(user_id, client.client_id)
            values = {**row_values("session", sessions, session), **row_values("grant", grants, grant),
                      **throttle.hit_values("hit", limit, utcnow())}
            returned = await writes.run(conn, values)
            assert set(returned) == {"hit"}
            counts.append(returned["hit"]["count"])  # type: ignore[index]
        assert counts == [1, 2]
        stored = (await conn.execute(sa.select(grants.c.session_id, sessions.c.amr).join(sessions))).all()
    assert len(stored) == 2 and all(amr == ["pwd"] for _, amr in stored)


async def test_one_failing_write_writes_nothing(app: Any) -> None:
    state = app.state.authshift
    async with state.engine.begin() as conn:
        user_id = await svc.create_user(conn, {"email": "d@example.com"}, ctx=state.accounts)
        client, _ = await create_client(conn, ClientSpec(name="d", grant_types=["refresh_token"]))
    session, grant = _rows(user_id, client.client_id)
    grant["session_id"] = uuid7()  # no such session
    writes = CombinedWrite([row_insert("session", sessions), row_insert("grant", grants)])
    with pytest.raises(IntegrityError):
        async with state.engine.begin() as conn:
            await writes.run(conn, {**row_values("session", sessions, session), **row_values("grant", grants, grant)})
    async with state.engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(sessions))).scalar() == 0


def test_values_name_only_columns_of_the_table() -> None:
    with pytest.raises(ValueError, match="not columns of sessions"):
        row_values("session", sessions, {"id": uuid7(), "colour": "blue"})
    with pytest.raises(ValueError, match="unique"):
        CombinedWrite([row_insert("x", sessions), row_insert("x", grants)])
