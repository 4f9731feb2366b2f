"""Who is using the console: the ``current_operator`` dependency every page takes.

No console session: the browser is sent to sign in (``/console/login?next=<this page>``).
A session whose user no longer holds the console role, or was disabled: the 403 page, and the
session is ended. Both are exceptions turned into pages by ``install_console``'s handlers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from authshift.console.operators import Operator, load_operator, operator_name
from authshift.console.sessions import end_session, find_session, session_cookie


class SignInRequired(Exception):
    """The request has no live console session: sign in, then come back to ``next_path``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class NotAnOperator(Exception):
    """Signed in, but not as a console operator (``who`` names the user, for the 403 page)."""

    def __init__(self, who: str) -> None:
        super().__init__(who)
        self.who = who


def _here(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query and request.method == "GET" else "")


async def current_operator(request: Request) -> Operator:
    state = request.app.state.authshift
    async with state.engine.begin() as conn:
        session = await find_session(conn, session_cookie(request), state.settings.console)
        if session is None:
            raise SignInRequired(_here(request) if request.method == "GET" else "/console/")
        operator = await load_operator(conn, session.user_id)
        if operator is None:
            await end_session(conn, session_cookie(request))
            raise NotAnOperator(await operator_name(conn, session.user_id))
    request.state.console_operator = operator
    return operator


CurrentOperator = Annotated[Operator, Depends(current_operator)]
