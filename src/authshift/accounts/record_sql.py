"""The user record composed by the database: the SQL twin of ``rows.assemble_record``.

Exporting a million users through ``assemble_record`` spends ~30 µs of Python per user reading
rows, building dicts and encoding JSON. Here the database writes each user's NDJSON line itself
(SQLite: string functions and JSON1's ``json_quote``, related rows read by correlated index
lookups; PostgreSQL: ``to_json`` and ``concat``, each related table aggregated once and merge-joined
by user id), so Python only moves bytes.

**This and ``assemble_record`` must agree.** Every line this composes, once parsed, equals what
``assemble_record`` returns for the same user: same keys, values absent rather than ``null``,
timestamps as ``rows.iso`` writes them (ISO 8601 UTC, ``Z``, microseconds only when not zero),
the password as ``rows.stored_password_as_record`` gives it. ``tests/exports/test_record_sql.py``
checks it field by field on both backends for a population that covers every field. Both walk
``records.fields.FIELDS`` and write each field by its kind, so a new field of a known kind is added
there once; a new kind needs a branch here and in ``rows``.

What SQL cannot do is decrypt TOTP secrets (AES-GCM, in Python). With secrets, the line of a user
who has TOTP factors carries the encrypted entries (``{"secret_encrypted", "algorithm", "digits",
"period"}``) in ``mfa.totp``, marked by ``MARK`` just before the array: a control character,
which JSON text never holds unescaped, so a marked line is found with one ``memchr`` over a block
and nothing a user wrote can look like one. ``finish_marked_line`` decrypts the entries with
``rows.totp_as_record``, the function ``assemble_record`` uses. Without secrets TOTP factors are
left out, as ``assemble_record`` leaves them out. SQL cannot decrypt a Firebase project's signer key
either: a password that names its parameters is marked the same way, and ``finish_marked_line``
writes them inline (``hash_config_store.with_parameters``, as ``users`` does for ``assemble_record``).

Key order inside a line may differ from ``assemble_record``'s (login IDs come in a fixed order; on
PostgreSQL, ``jsonb`` values are written with a space after ``:`` and ``,``): the lines are equal as
JSON, which is what import reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from authshift.accounts.context import AccountsContext
from authshift.accounts.hash_config_store import with_parameters
from authshift.accounts.passkey_tables import webauthn_credentials
from authshift.accounts.rows import (
    named_password_formats,
    structured_password_formats,
    totp_as_record,
)
from authshift.passwords import HashConfig
from authshift.passwords.assess import NEEDS_HASH_CONFIG
from authshift.records.fields import FIELDS, LOGIN_ID_FIELDS
from authshift.storage.tables import federated_identities, identities, otp_factors, passwords, totp_factors, users

__all__ = ["MARK", "finish_marked_line", "record_lines_query", "render"]

# Before what Python must finish (an encrypted mfa.totp array, a password naming its parameters);
# JSON escapes every control character, so nothing a user wrote looks like one.
MARK = b"\x1f"


def _literal(text: str) -> str:
    """A SQL string literal for a constant from this module (never user data)."""
    return "'" + text.replace("'", "''") + "'"


def _key(name: str, first: bool = False) -> str:
    """The literal that starts a member: ``,"name":`` (``{"name":`` for the first)."""
    return _literal(("{" if first else ",") + json.dumps(name) + ":")


class _Dialect:
    """SQL building blocks; each returns the JSON text of a value, or SQL NULL when the value is
    absent (``assemble_record`` leaves the key out), so ``key || value`` vanishes with it."""

    def text(self, col: str) -> str:
        """A text column as a JSON string."""
        raise NotImplementedError

    def boolean(self, expr: str) -> str:
        return f"CASE WHEN {expr} THEN 'true' ELSE 'false' END"

    def time_text(self, col: str) -> str:
        """A UTC timestamp as ``rows.iso`` writes it (without the JSON quotes)."""
        raise NotImplementedError

    def time(self, col: str) -> str:
        return f"""'"' || {self.time_text(col)} || '"'"""

    def json_value(self, col: str) -> str:
        """A JSON column's text; NULL for SQL NULL and for JSON null (how SQLAlchemy stores None)."""
        raise NotImplementedError

    def concat(self, parts: Sequence[str]) -> str:
        """Concatenation in which NULL parts count as empty text."""
        raise NotImplementedError

    def user_id(self) -> str:
        raise NotImplementedError

    def mark(self) -> str:
        """``MARK`` as SQL text."""
        raise NotImplementedError

    def password_structured(self, value: str, must_change: str, expire_at: str) -> str:
        """A structured password (stored as the canonical JSON of its object) with must_change and
        expire_at added when set."""
        raise NotImplementedError

    # --- the record, in assemble_record's order -------------------------------------------------

    def field(self, name: str, value: str) -> str:
        return f"{_key(name)} || {value}"

    def login_id(self, prefix: str) -> str:
        """One row of ``identities`` (columns prefixed with ``prefix``) as ``,"email":"...","email_verified":true``."""
        cases = []
        for kind, flag in LOGIN_ID_FIELDS.items():
            value = f"{_key(kind)} || {self.text(prefix + 'raw')}"
            if flag:
                value += f" || {_key(flag)} || {self.boolean(prefix + 'verified')}"
            cases.append(f"WHEN {_literal(kind)} THEN {value}")
        return f"CASE {prefix}kind {' '.join(cases)} END"

    def federated_identity(self, prefix: str) -> str:
        email = f"{_key('email')} || {self.text(prefix + 'email')}"
        return (f"{_key('provider', first=True)} || {self.text(prefix + 'provider')} || {_key('subject')} || "
                f"{self.text(prefix + 'subject')} || coalesce({email}, '') || '}}'")

    def totp_entry(self, prefix: str) -> str:
        """An encrypted TOTP factor, for ``finish_marked_line`` to decrypt."""
        return (f"{_key('secret_encrypted', first=True)} || {self.text(prefix + 'secret_encrypted')} || "
                f"{_key('algorithm')} || {self.text(prefix + 'algorithm')} || {_key('digits')} || {prefix}digits || "
                f"{_key('period')} || {prefix}period || '}}'")

    def webauthn_entry(self, prefix: str) -> str:
        """A passkey as ``passkey_rows.webauthn_as_record`` gives it (aaguid and last_used_at when set)."""
        p = prefix
        return self.concat([
            f"{_key('credential_id', first=True)} || {self.text(p + 'credential_id')}",
            f"{_key('public_key')} || {self.text(p + 'public_key')}",
            f"{_key('sign_count')} || {p}sign_count",
            f"{_key('user_handle')} || {self.text(p + 'user_handle')}",
            f"{_key('transports')} || coalesce({self.json_value(p + 'transports')}, '[]')",
            f"{_key('rp_id')} || {self.text(p + 'rp_id')}",
            f"{_key('backup_eligible')} || {self.boolean(p + 'backup_eligible')}",
            f"{_key('backup_state')} || {self.boolean(p + 'backup_state')}",
            f"{_key('name')} || {self.text(p + 'name')}",
            f"{_key('created_at')} || {self.time(p + 'created_at')}",
            f"{_key('aaguid')} || {self.text(p + 'aaguid')}",
            f"{_key('last_used_at')} || {self.time(p + 'last_used_at')}",
            "'}'",
        ])

    def password(self, prefix: str) -> str:
        """A ``passwords`` row as ``rows.stored_password_as_record`` gives it (``{"hash": ...}`` for a
        self-describing hash, the stored object for a structured format; must_change and expire_at
        when set)."""
        must_change, expire_at = f"{prefix}must_change", f"{prefix}expire_at"
        meta = self.concat([
            f"CASE WHEN {must_change} THEN {_key('must_change')} || 'true' END",
            f"{_key('expire_at')} || {self.time(expire_at)}",
        ])
        structured = ", ".join(_literal(name) for name in sorted(structured_password_formats())) or "NULL"
        named = ", ".join(_literal(name) for name in sorted(named_password_formats())) or "NULL"
        parameters = ", ".join(_literal(name) for name in sorted(NEEDS_HASH_CONFIG))
        return (
            f"CASE WHEN {prefix}format IN ({parameters}) "  # its parameters are written in Python
            f"THEN {self.mark()} || {self.password_structured(prefix + 'value', must_change, expire_at)} "
            f"WHEN {prefix}format IN ({structured}) "
            f"THEN {self.password_structured(prefix + 'value', must_change, expire_at)} "
            f"ELSE {_key('hash', first=True)} || {self.text(prefix + 'value')} || "
            f"CASE WHEN {prefix}format IN ({named}) THEN {_key('format')} || {self.text(prefix + 'format')} ELSE '' END"
            f" || {meta} || '}}' END"
        )

    def record(self, *, logins: str, federated: str, mfa: str, password: str | None) -> str:
        """The whole line, field by field in ``records.fields.FIELDS``' order; the related parts are
        given as fragments (NULL when the user has none)."""
        related = {"identities": federated, "mfa": mfa, "password": password or "NULL"}
        parts = []
        logins_done = False
        for f in FIELDS:
            col = f"users.{f.col}"
            kind = f.kind
            if kind == "id":
                parts.append(f"""'{{"{f.name}":"' || {self.user_id()} || '"'""")
            elif kind == "text":
                parts.append(self.field(f.name, self.text(col)))
            elif kind == "nonempty":
                parts.append(self.field(f.name, self.text(f"nullif({col}, '')")))
            elif kind == "json":
                parts.append(self.field(f.name, self.json_value(col)))
            elif kind == "object" or kind == "list":
                empty = "{}" if kind == "object" else "[]"
                parts.append(f"{_key(f.name)} || coalesce({self.json_value(col)}, {_literal(empty)})")
            elif kind == "bool":
                parts.append(self.field(f.name, self.boolean(col)))
            elif kind == "timestamp":
                parts.append(self.field(f.name, self.time(col)))
            elif kind == "login_id" or kind == "verified":
                if not logins_done:  # all login IDs at once, from the identities rows
                    parts.append(logins)
                    logins_done = True
            else:
                parts.append(related[f.name])
        parts.append("'}'")
        return self.concat(parts)

    def mfa(self, totp: str | None, email: str, phone_number: str, webauthn: str = "NULL") -> str:
        """``,"mfa":{...}`` from its members' fragments (each ``,"key":value`` or NULL); NULL when empty."""
        members = self.concat([totp or "NULL", webauthn, email, phone_number])
        return f"""',"mfa":{{' || substr(nullif({members}, ''), 2) || '}}'"""


class _Sqlite(_Dialect):
    """SQLite stores UUIDs as 32 hex digits, booleans as 0/1, datetimes as naive UTC text
    (``YYYY-MM-DD HH:MM:SS.ffffff``) and JSON as text; ``printf('%s...')`` concatenates in one pass
    and writes NULL as empty text."""

    def text(self, col: str) -> str:
        return f"CASE WHEN {col} IS NOT NULL THEN json_quote({col}) END"  # json_quote(NULL) is 'null'

    def time_text(self, col: str) -> str:
        # Python writes the fraction only when it is not zero, always with 6 digits. SQLAlchemy
        # stores 26 characters (fraction included): the common case is two replaces; the general
        # one pads any other stored fraction.
        fraction = f"CASE WHEN length({col}) <= 19 OR substr({col}, 20, 7) = '.000000' THEN '' ELSE substr(substr({col}, 20) || '00000', 1, 7) END"
        return (f"CASE WHEN length({col}) = 26 THEN replace(replace({col}, ' ', 'T'), '.000000', '') || 'Z' "
                f"WHEN {col} IS NOT NULL THEN printf('%.10sT%.8s%sZ', {col}, substr({col}, 12), {fraction}) END")

    def json_value(self, col: str) -> str:
        return f"nullif({col}, 'null')"

    def concat(self, parts: Sequence[str]) -> str:
        return f"printf('{'%s' * len(parts)}', {', '.join(parts)})"

    def mark(self) -> str:
        return f"char({MARK[0]})"

    def user_id(self) -> str:
        col = "users.id"
        return (f"CASE WHEN length({col}) = 32 THEN printf('%.8s-%.4s-%.4s-%.4s-%s', {col}, substr({col}, 9), "
                f"substr({col}, 13), substr({col}, 17), substr({col}, 21)) ELSE {col} END")

    def password_structured(self, value: str, must_change: str, expire_at: str) -> str:
        with_expiry = f"CASE WHEN {expire_at} IS NOT NULL THEN json_set({value}, '$.expire_at', {self.time_text(expire_at)}) ELSE json({value}) END"
        return f"CASE WHEN {must_change} THEN json_set({with_expiry}, '$.must_change', json('true')) ELSE {with_expiry} END"

    def line(self, include_secrets: bool) -> str:
        """Every related table read by a correlated lookup on its ``user_id`` index."""
        of_user = "user_id = users.id"
        logins = f"(SELECT group_concat({self.login_id('identities.')}, '') FROM identities WHERE {of_user})"
        # SQLite 3.40 has no ORDER BY inside an aggregate: it concatenates in the order of an
        # ordered subquery (not flattened into an aggregate), which keeps the stored order by id.
        federated = (
            f"""(SELECT ',"identities":[' || group_concat(entry, ',') || ']' FROM """
            f"(SELECT {self.federated_identity('')} AS entry FROM federated_identities WHERE {of_user} ORDER BY id))"
        )
        totp = (
            f"""(SELECT ',"totp":' || {self.mark()} || '[' || group_concat(entry, ',') || ']' FROM """
            f"(SELECT {self.totp_entry('')} AS entry FROM totp_factors WHERE {of_user} ORDER BY id))"
        ) if include_secrets else None
        otp = [
            f"(SELECT {_key(key)} || {self.text('destination')} FROM otp_factors WHERE {of_user} AND {channel} "
            "ORDER BY id DESC LIMIT 1)"  # assemble_record keeps the last factor of a channel
            for key, channel in (("email", "channel = 'email'"), ("phone_number", "channel <> 'email'"))
        ]
        webauthn = (
            f"""(SELECT ',"webauthn":[' || group_concat(entry, ',') || ']' FROM """
            f"(SELECT {self.webauthn_entry('')} AS entry FROM webauthn_credentials WHERE {of_user} ORDER BY id))"
        )
        has_totp = f"EXISTS (SELECT 1 FROM totp_factors WHERE {of_user})"
        has_mfa = (f"EXISTS (SELECT 1 FROM otp_factors WHERE {of_user}) OR EXISTS (SELECT 1 FROM webauthn_credentials "
                   f"WHERE {of_user})" + (f" OR {has_totp}" if include_secrets else ""))
        mfa = f"CASE WHEN {has_mfa} THEN {self.mfa(totp, *otp, webauthn=webauthn)} END"
        password = f"(SELECT {self.field('password', self.password(''))} FROM passwords WHERE {of_user})"
        return self.record(
            logins=logins, federated=federated, mfa=mfa, password=password if include_secrets else None,
        )


class _Postgres(_Dialect):
    """``to_json`` escapes text; ``concat`` skips NULLs; ``jsonb::text`` writes JSON columns."""

    def text(self, col: str) -> str:
        return f"to_json({col})::text"

    def time_text(self, col: str) -> str:
        return f"""replace(to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '') || 'Z'"""

    def json_value(self, col: str) -> str:
        return f"nullif({col}, 'null'::jsonb)::text"

    def concat(self, parts: Sequence[str]) -> str:
        return f"concat({', '.join(parts)})"

    def mark(self) -> str:
        return f"chr({MARK[0]})"

    def user_id(self) -> str:
        return "users.id::text"

    def password_structured(self, value: str, must_change: str, expire_at: str) -> str:
        extra = (f"jsonb_strip_nulls(jsonb_build_object('must_change', CASE WHEN {must_change} THEN true END, "
                 f"'expire_at', {self.time_text(expire_at)}))")
        return f"CASE WHEN {must_change} OR {expire_at} IS NOT NULL THEN ({value}::jsonb || {extra})::text ELSE {value}::json::text END"

    def select(self, where: Sequence[Any], include_secrets: bool) -> sa.Select[Any]:
        """Each related table aggregated once per user (``GROUP BY user_id`` over its index) and
        merge-joined by id: far cheaper than a correlated subquery per user and table."""

        def per_user(table: sa.Table, name: str, *columns: Any) -> Any:
            q = sa.select(table.c.user_id, *columns).group_by(table.c.user_id)
            if where:  # only the users exported: a selective filter must not aggregate every row
                q = q.where(table.c.user_id.in_(sa.select(users.c.id).where(*where)))
            return q.subquery(name)

        def agg(expr: str, label: str) -> Any:
            return sa.literal_column(expr).label(label)

        logins = per_user(identities, "record_logins", agg(f"string_agg({self.login_id('identities.')}, '')", "part"))
        federated = per_user(
            federated_identities, "record_federated",
            agg(f"""',"identities":[' || string_agg({self.federated_identity('federated_identities.')}, ',' """
                "ORDER BY federated_identities.id) || ']'", "part"),
        )
        last = "(array_agg(otp_factors.destination ORDER BY otp_factors.id DESC) FILTER (WHERE {}))[1]"
        otp = per_user(
            otp_factors, "record_otp",
            agg(last.format("otp_factors.channel = 'email'"), "email"),
            agg(last.format("otp_factors.channel <> 'email'"), "phone_number"),
        )
        passkeys = per_user(
            webauthn_credentials, "record_webauthn",
            agg(f"""',"webauthn":[' || string_agg({self.webauthn_entry('webauthn_credentials.')}, ',' """
                "ORDER BY webauthn_credentials.id) || ']'", "part"),
        )
        joined = (
            users.outerjoin(logins, logins.c.user_id == users.c.id)
            .outerjoin(federated, federated.c.user_id == users.c.id)
            .outerjoin(otp, otp.c.user_id == users.c.id)
            .outerjoin(passkeys, passkeys.c.user_id == users.c.id)
        )
        totp_part = password = None
        if include_secrets:
            totp = per_user(
                totp_factors, "record_totp",
                agg(f"""',"totp":' || {self.mark()} || '[' || string_agg({self.totp_entry('totp_factors.')}, ',' ORDER BY totp_factors.id) || ']'""", "part"),
            )
            joined = joined.outerjoin(totp, totp.c.user_id == users.c.id).outerjoin(passwords, passwords.c.user_id == users.c.id)
            totp_part = "record_totp.part"
            password = f"CASE WHEN passwords.user_id IS NOT NULL THEN {self.field('password', self.password('passwords.'))} END"
        mfa = self.mfa(
            totp_part, self.field("email", self.text("record_otp.email")),
            self.field("phone_number", self.text("record_otp.phone_number")), webauthn="record_webauthn.part",
        )
        line = self.record(logins="record_logins.part", federated="record_federated.part", mfa=mfa, password=password)
        return sa.select(sa.literal_column(line).label("line")).select_from(joined).where(*where).order_by(users.c.id)


def record_lines_query(dialect: str, where: Sequence[Any] = (), *, include_secrets: bool) -> sa.Select[Any]:
    """One row per user matching ``where``, ordered by id: the user's NDJSON line (without the
    newline; bytes on SQLite). Lines holding ``MARK`` need ``finish_marked_line``."""
    if dialect == "postgresql":
        return _Postgres().select(where, include_secrets)
    line = _Sqlite().line(include_secrets)
    return sa.select(sa.literal_column(f"CAST({line} AS BLOB)").label("line")).select_from(users).where(*where).order_by(users.c.id)


def render(stmt: sa.Select[Any], dialect: Dialect) -> tuple[str, list[Any]]:
    """The statement's SQL for ``dialect`` and its positional parameters, converted the way
    SQLAlchemy converts them (so a datetime filter reaches SQLite as its stored text)."""
    compiled = stmt.compile(dialect=dialect)
    values = compiled.construct_params()
    params = []
    for name in compiled.positiontup or ():
        process = compiled.binds[name].type.bind_processor(dialect)
        params.append(process(values[name]) if process else values[name])
    return str(compiled), params


def finish_marked_line(line: bytes, ctx: AccountsContext, hash_configs: Mapping[str, HashConfig] | None = None) -> bytes:
    """A line holding ``MARK``, finished as ``assemble_record`` writes it: TOTP secrets decrypted
    (``rows.totp_as_record``), a password's named parameters written inline from ``hash_configs``
    (``hash_config_store.with_parameters``, as ``users`` does for ``assemble_record``)."""
    text = line.replace(MARK, b"")
    try:
        rec = orjson.loads(text)
    except orjson.JSONDecodeError:  # what orjson refuses (integers beyond 64 bits in custom attributes)
        rec = json.loads(text)
    totp = (rec.get("mfa") or {}).get("totp")
    if totp:
        rec["mfa"]["totp"] = [totp_as_record(entry, ctx) for entry in totp]
    if isinstance(rec.get("password"), dict):
        rec["password"] = with_parameters(rec["password"], hash_configs or {})
    try:
        return orjson.dumps(rec)
    except TypeError:
        return json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
