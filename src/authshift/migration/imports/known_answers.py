"""Known answers: ``authshift import FILE --check-credentials CREDS.csv``.

CREDS.csv holds ``login_id,password`` of test accounts the team controls. After the import (or
during a dry run, against what it would write) each account is checked the way sign-in checks it:
the login ID found by sign-in's own normalisation (``accounts.login_ids.candidates``), the stored
hash verified by ``passwords.verify`` with the instance's ceilings and hash configs. A password
that verifies confirms the hash family: the user's readiness becomes ``ready`` (an ambiguous
shape was the right guess); it is not a sign-in (``imports undo`` still removes the user). Nothing is written otherwise; the passwords live in memory only: never
stored, logged or reported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from authshift import passwords
from authshift.accounts.hash_config_store import hash_configs_for, inline_configs
from authshift.accounts.login_ids import candidates
from authshift.accounts.services import AccountServices
from authshift.errors import FieldError, InvalidInput
from authshift.migration.imports.plan import Decision
from authshift.migration.readiness.store import confirmed
from authshift.migration.readiness.tables import user_readiness
from authshift.storage.tables import users

__all__ = ["KnownAnswer", "PreparedIndex", "check_prepared", "check_stored", "read_credentials"]

MAX_ACCOUNTS = 1000
PASSED = "signs_in"


@dataclass(frozen=True)
class KnownAnswer:
    line: int
    login_id: str
    password: str = field(repr=False)


def read_credentials(path: Path) -> list[KnownAnswer]:
    """The accounts of a ``login_id,password`` CSV (a header row naming them first); ``InvalidInput``
    naming each bad line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if header[:2] != ["login_id", "password"]:
        raise InvalidInput("the credentials file must start with the header row: login_id,password",
                           errors=[FieldError("line 1", "expected login_id,password")])
    errors = []
    answers = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1]:
            errors.append(FieldError(f"line {number}", "expected a login ID and a password"))
            continue
        answers.append(KnownAnswer(number, row[0].strip(), row[1]))
    if not answers and not errors:
        errors.append(FieldError("file", "no accounts"))
    if len(answers) > MAX_ACCOUNTS:
        errors.append(FieldError("file", f"at most {MAX_ACCOUNTS} test accounts"))
    if errors:
        raise InvalidInput("the credentials file is not valid", errors=errors)
    return answers


def _result(answer: KnownAnswer, result: str, **more: Any) -> dict[str, Any]:
    return {"line": answer.line, "login_id": answer.login_id, "result": result, **more}


async def _verify(answer: KnownAnswer, stored: passwords.StoredPassword, state: AccountServices,
                  extra_configs: Mapping[str, passwords.HashConfig] | None = None) -> tuple[str, str | None]:
    """Verify as sign-in does: the instance's ceilings, the hash configs sign-in finds (and, in a
    dry run, those of the import's --hash-config file, which the real run would store)."""
    ctx = state.accounts
    try:
        configs = {**await hash_configs_for(state.engine, ctx, stored), **(extra_configs or {})}
        ok = (await passwords.verify_async(answer.password, stored, limits=ctx.limits, hash_configs=configs)).ok
    except passwords.PasswordFormatError as exc:
        return "cannot_verify", f"the stored hash cannot be verified here: {exc}"
    return (PASSED, None) if ok else ("wrong_password", "the stored hash does not accept this password")


async def check_stored(state: AccountServices, answers: Sequence[KnownAnswer], *, confirm: bool = True) -> list[dict[str, Any]]:
    """Check each account against the users as stored (after an import); ``confirm``: a password that
    verifies confirms the hash family (readiness ``ready``)."""
    from authshift.accounts.login import _load_account  # the sign-in path's own lookup

    out = []
    for answer in answers:
        async with state.engine.connect() as conn:
            account = await _load_account(conn, answer.login_id)
            if account is None:
                out.append(_result(answer, "unknown_login_id"))
                continue
            row = (await conn.execute(sa.select(users.c.password_migration, user_readiness.c.readiness)
                                      .select_from(users.outerjoin(user_readiness, user_readiness.c.user_id == users.c.id))
                                      .where(users.c.id == account.user_id))).first()
        more: dict[str, Any] = {"user_id": str(account.user_id)}
        if account.password is None:
            lazy = row is not None and row.password_migration == "lazy"
            out.append(_result(answer, "lazy" if lazy else "no_password", **more))
            continue
        more["hash_family"] = account.password.format
        result, reason = await _verify(answer, account.password, state)
        if result == PASSED and account.disabled:
            result, reason = "disabled", "the password is right but the user is disabled"
        if result == PASSED and confirm:
            async with state.engine.begin() as conn:
                await confirmed(conn, account.user_id, state.accounts)
        out.append(_result(answer, result, **more, **({"reason": reason} if reason else {})))
    return out


@dataclass
class PreparedIndex:
    """During a dry run: the records of the known-answer accounts, by their normalised login IDs."""

    wanted: dict[tuple[str, str], KnownAnswer]
    found: dict[int, Decision] = field(default_factory=dict)  # answer line -> its record's decision

    @classmethod
    def of(cls, answers: Iterable[KnownAnswer]) -> PreparedIndex:
        wanted = {}
        for answer in answers:
            for cand in candidates(answer.login_id):
                wanted.setdefault((cand.kind, cand.value), answer)
        return cls(wanted)

    def __call__(self, decisions: Sequence[Decision]) -> None:
        for d in decisions:
            for key in d.cand.keys:
                answer = self.wanted.get(key)  # type: ignore[call-overload]
                if answer is not None and answer.line not in self.found and d.outcome in ("inserted", "updated"):
                    self.found[answer.line] = d


async def check_prepared(state: AccountServices, answers: Sequence[KnownAnswer], index: PreparedIndex,
                         file_configs: Mapping[str, passwords.HashConfig] | None = None) -> list[dict[str, Any]]:
    """Check each account against the record a dry run would write, or, for an account no record
    inserts or updates, against the user as stored (what sign-in would meet)."""
    out = []
    for answer in answers:
        d = index.found.get(answer.line)
        if d is None:
            out += await check_stored(state, [answer], confirm=False)
            continue
        more: dict[str, Any] = {"user_id": str(d.user_id)}
        stored = d.cand.stored_password
        if stored is None:
            out.append(_result(answer, "lazy" if d.readiness == "lazy" else "no_password", **more))
            continue
        more["hash_family"] = stored.format
        # the parameters the real run would keep: the --hash-config file's, the record's inline ones
        configs = {**(file_configs or {}), **inline_configs(stored, d.cand.rec)}
        result, reason = await _verify(answer, stored, state, configs)
        out.append(_result(answer, result, **more, **({"reason": reason} if reason else {})))
    return out
