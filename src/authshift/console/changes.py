"""Every change made through the console: a CSRF-checked form, and an audit entry under the
operator's name.

A page that changes something takes ``ChangeForm`` (the posted form, its CSRF token already
checked: http/csrf.py's signed double-submit token) and calls ``audit_change`` in the same
transaction as the change, so the change and its record commit together.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import FormData

from authshift.audit import record_audit
from authshift.console.access import current_operator
from authshift.console.operators import Operator
from authshift.http.csrf import FIELD_NAME, CsrfError, check_csrf


class ConsoleCsrfError(Exception):
    """A console form without a valid CSRF token (shown as a 403 page, nothing changed)."""


async def change_form(request: Request, _operator: Annotated[Operator, Depends(current_operator)]) -> FormData:
    """The posted form of a signed-in operator, once its CSRF token is checked."""
    form = await request.form()
    token = form.get(FIELD_NAME)
    try:
        check_csrf(request, token if isinstance(token, str) else None)
    except CsrfError:
        raise ConsoleCsrfError() from None
    return form


ChangeForm = Annotated[FormData, Depends(change_form)]


async def audit_change(conn: AsyncConnection, operator: Operator, action: str, target: str | None = None,
                       details: dict[str, Any] | None = None) -> None:
    """Record a console change: actor ``console:<operator's email>``, with their user id in details."""
    await record_audit(conn, actor=operator.actor, action=action, target=target,
                       details={"operator_id": str(operator.user_id), **(details or {})})
