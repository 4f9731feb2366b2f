"""The pure core of bulk import: what each record is, and what a batch of them would do.

``prepare`` validates one record as read from a file (the record schema, then its password
hash against the ceilings and hash configs) and computes its unique keys, normalised exactly as
sign-in normalises them. ``classify`` decides, for a batch, which record inserts a user, updates
one, is skipped or fails, given who owns the batch's keys in the database (``owners``) and which
users this job already wrote (``touched``). No database, no I/O: a dry run and a real run call
the same two functions, so the dry run reports exactly what the real run does.
"""

from __future__ import annotations

import json
import pickle
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from authshift import passwords
from authshift.accounts.login_ids import NORMALIZERS
from authshift.accounts.normalize import InvalidLoginId
from authshift.accounts.passkey_rows import refused_passkeys, rp_id_refusal
from authshift.accounts.rows import password_spec
from authshift.accounts.sources import DEFAULT_SOURCE
from authshift.accounts.unique_keys import Key, conflict_error, external_id_key
from authshift.accounts.updates import UpdatePlan
from authshift.errors import FieldError
from authshift.ids import uuid7
from authshift.migration.formats import SourceItem
from authshift.passwords.formats.firebase import externalize_hash_config
from authshift.records import RecordError, record_to_json, redact

__all__ = [
    "Candidate",
    "Decision",
    "Effects",
    "IDENTIFIERS",
    "Identifier",
    "MODES",
    "Mode",
    "Outcome",
    "classify",
    "new_user_id",
    "prepare",
]

Identifier = Literal["email", "preferred_username", "phone_number", "external_id"]
Mode = Literal["insert", "upsert", "update"]
Outcome = Literal["inserted", "updated", "skipped", "failed"]
IDENTIFIERS: tuple[str, ...] = ("email", "preferred_username", "phone_number", "external_id")
MODES: tuple[str, ...] = ("insert", "upsert", "update")
_LOGIN_NORMALIZERS = tuple(NORMALIZERS.items())


def _issue(path: str, message: str) -> dict[str, str]:
    """A field problem as a report line carries it."""
    return FieldError(path, message).as_dict()


class Candidate:
    """One record of the file after validation: its record JSON and keys, or why it cannot be used.

    A batch of candidates travels from the import's reader process to its writer
    (``import_wire``); ``rec`` and ``stored_password`` arrive there still encoded and are decoded
    on first use: most records of a bulk import insert a user from rows the reader built
    already (``prebuilt``), and then the writer never needs them.
    """

    __slots__ = ("seq", "line", "raw", "_rec", "_rec_wire", "_stored_password", "_password_wire", "keys", "match",
                 "errors", "warnings", "new_id", "prebuilt")

    def __init__(self, seq: int, line: int, raw: dict[str, Any] | None) -> None:
        self.seq = seq  # position of the record in the file (1-based)
        self.line = line
        self.raw = raw  # the object as read (kept for records failing validation: their echo)
        self._rec: dict[str, Any] | None = None
        self._rec_wire: bytes | None = None
        self._stored_password: passwords.StoredPassword | None = None
        self._password_wire: tuple[str, str] | None = None
        self.keys: list[Key] = []  # unique keys, normalised
        self.match: Key | None = None  # the key named by --identifier
        self.errors: list[dict[str, str]] = []
        self.warnings: list[dict[str, str]] = []
        self.new_id: uuid.UUID | None = None  # the id it gets if it inserts a user, when chosen already (by the reader)
        self.prebuilt: tuple[Any, ...] | None = None  # its rows as a new user, encoded (``import_prebuild``)

    @property
    def rec(self) -> dict[str, Any] | None:
        """The record JSON; fields set to null are kept (upsert removes them)."""
        if self._rec_wire is not None:
            self._rec, self._rec_wire = pickle.loads(self._rec_wire), None  # noqa: S301 - import_wire
        return self._rec

    @rec.setter
    def rec(self, value: dict[str, Any] | None) -> None:
        self._rec, self._rec_wire = value, None

    @property
    def has_record(self) -> bool:
        """Whether it holds a record (``rec`` is not None), without decoding it."""
        return self._rec is not None or self._rec_wire is not None

    @property
    def stored_password(self) -> passwords.StoredPassword | None:
        if self._password_wire is not None:
            self._stored_password = passwords.StoredPassword(*self._password_wire)
            self._password_wire = None
        return self._stored_password

    @stored_password.setter
    def stored_password(self, value: passwords.StoredPassword | None) -> None:
        self._stored_password, self._password_wire = value, None

    def login_ids(self) -> dict[str, str]:
        """The record's login IDs as ``prepare`` normalised them (its keys of those kinds)."""
        return {kind: value for kind, value in self.keys if kind in NORMALIZERS}

    def __repr__(self) -> str:
        return f"Candidate(seq={self.seq}, line={self.line}, keys={self.keys!r}, errors={self.errors!r})"


def _set_source(rec: dict[str, Any], source: str | None, own_sources: bool) -> dict[str, str] | None:
    """Give the record its source (the namespace of its external_id); an issue if it contradicts ``source``.

    ``source`` is the import's ``--source``; ``own_sources``: the records name their source
    themselves (the native format), otherwise the reader wrote its format's name, which
    ``--source`` replaces.
    """
    given = rec.get("source")
    if source is not None:
        if own_sources and given is not None and given != source:
            return _issue("source", f"the record says {given!r} but this import names the source {source!r} "
                                    "(--source): remove one of them")
        rec["source"] = source
    elif not given:
        rec["source"] = DEFAULT_SOURCE
    return None


def prepare(
    item: SourceItem,
    *,
    identifier: str,
    limits: passwords.Limits,
    hash_configs: Mapping[str, passwords.HashConfig] | None,
    hash_format: str | None = None,
    source: str | None = None,
    own_sources: bool = True,
    webauthn_rp_id: str | None = None,
) -> Candidate:
    """Validate one record read from a file (never raises for a bad record: it carries its errors).

    ``hash_format`` (``--hash-format``) names the family of the file's hashes where a hash's
    shape is ambiguous; a family only guessed from the shape is a warning on the record.
    ``source``/``own_sources``: see ``_set_source``.
    ``webauthn_rp_id``: passkeys made for another RP ID are left out, each with a warning saying
    why (``accounts.passkey_rows``); the user is imported and registers a new passkey."""
    cand = Candidate(item.index, item.line, item.obj)
    try:
        parsed = item.parse()
    except RecordError as exc:
        cand.errors = [_issue(i.path, i.message) for i in exc.issues]
        cand.warnings = [_issue(w.path, w.message) for w in exc.warnings]
        return cand
    if parsed.warnings:
        cand.warnings = [_issue(w.path, w.message) for w in parsed.warnings]
    rec = record_to_json(parsed.record, keep_nulls=True)
    cand.rec = rec
    get = rec.get
    contradiction = _set_source(rec, source, own_sources)
    if contradiction is not None:
        cand.errors.append(contradiction)
    password = get("password")
    if password is not None:
        try:
            stored, named = passwords.parse_detail(
                password_spec(password), limits=limits, hash_configs=hash_configs, default_format=hash_format)
            # Firebase parameters given inline are kept apart, encrypted (the writer stores them)
            cand.stored_password = externalize_hash_config(stored)[0]
        except passwords.PasswordFormatError as exc:
            cand.errors.append(_issue("password", f"the password hash cannot be used: {exc}"))
        else:
            guess = None if named else passwords.guess_warning(cand.stored_password)
            if guess:
                cand.warnings.append(_issue("password", guess))
    elif get("password_migration"):
        how = "verify it against the old system at the next sign-in" if rec["password_migration"] == "lazy" else \
            "make the user choose a new password"
        cand.warnings.append(_issue("password_migration", f"imported without a password: {how}"))
    if webauthn_rp_id is not None and (get("mfa") or {}).get("webauthn"):
        _drop_foreign_passkeys(cand, rec["mfa"], webauthn_rp_id)
    keys = cand.keys
    for kind, normalize in _LOGIN_NORMALIZERS:
        value = get(kind)
        if value:
            try:
                keys.append((kind, normalize(value)))
            except InvalidLoginId as exc:
                cand.errors.append(_issue(kind, str(exc)))
    if get("external_id") is not None:
        keys.append(external_id_key(rec["source"], rec["external_id"]))
    if get("id") is not None:
        keys.append(("id", uuid.UUID(rec["id"])))
    for ident in get("identities") or ():
        keys.append(("identity", (ident["provider"], str(ident["subject"]))))
    for key in keys:
        if key[0] == identifier:
            cand.match = key
            break
    # Without the identifier the record is decided by ``classify``: skipped when its other keys
    # find the user (imported by an earlier run with another --identifier), failed otherwise.
    if not cand.errors:
        cand.raw = None  # a valid record is echoed from its validated form, if it fails later
    return cand


def _drop_foreign_passkeys(cand: Candidate, mfa: dict[str, Any], rp_id: str) -> None:
    refused = refused_passkeys(mfa["webauthn"], rp_id)
    if refused:
        cand.warnings.extend(_issue(f.path, f.message) for f in refused)
        mfa["webauthn"] = [e for e in mfa["webauthn"] if rp_id_refusal(e.get("rp_id"), rp_id) is None] or None


@dataclass(slots=True)
class Decision:
    """What one record does: ``action`` insert/update (or None), the outcome it reports."""

    cand: Candidate
    outcome: Outcome
    user_id: uuid.UUID | None = None
    action: Literal["insert", "update"] | None = None
    reason: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    readiness: str | None = None  # the user's sign-in readiness after this record (migration/readiness/rule.py)
    hash_family: str | None = None

    def fail(self, errors: list[dict[str, str]]) -> None:
        self.outcome, self.action, self.user_id, self.errors = "failed", None, None, errors
        self.readiness = self.hash_family = None

    def as_json(self) -> dict[str, Any]:
        """The outcome as reports and the results API show it (secrets redacted)."""
        out: dict[str, Any] = {
            "line": self.cand.line, "index": self.cand.seq, "outcome": self.outcome,
            "user_id": str(self.user_id) if self.user_id else None,
            "errors": self.errors, "warnings": self.cand.warnings,
        }
        if self.reason:
            out["reason"] = self.reason
        if self.readiness is not None:
            out["readiness"], out["hash_family"] = self.readiness, self.hash_family
        if self.outcome == "failed":
            echo = self.cand.raw if self.cand.raw is not None else self.cand.rec
            if echo is not None:
                out["record"] = redact({k: v for k, v in echo.items() if v is not None})
        return out


    def as_line(self) -> str:
        """``as_json`` as one NDJSON line (without the newline); the common case is formatted directly."""
        if not self.errors and not self.cand.warnings and self.reason is None and self.outcome != "failed":
            user = f'"{self.user_id}"' if self.user_id else "null"
            ready = "" if self.readiness is None else \
                f',"readiness":"{self.readiness}","hash_family":{json.dumps(self.hash_family)}'
            return (f'{{"line":{self.cand.line},"index":{self.cand.seq},"outcome":"{self.outcome}",'
                    f'"user_id":{user},"errors":[],"warnings":[]{ready}}}')
        return json.dumps(self.as_json(), ensure_ascii=False, separators=(",", ":"))


def new_user_id(rec: Mapping[str, Any]) -> uuid.UUID:
    """The id a record gets if it inserts a user: its own ``id``, or a new time-ordered one."""
    rec_id = rec.get("id")
    return uuid.UUID(rec_id) if rec_id else uuid7()


def _where(line: int | None) -> str:
    return f" (line {line} of this file)" if line is not None else ""


def _without_identifier(decision: Decision, identifier: str, owners: Mapping[Key, uuid.UUID | None]) -> None:
    """A record without the run's identifier: skipped, with the reason, when its other keys all
    belong to one existing user (the same file imported earlier with another ``--identifier``,
    as docs/export.md's move to another authshift does); failed as missing otherwise."""
    found = [(kind, owner) for kind, value in decision.cand.keys if (owner := owners.get((kind, value))) is not None]
    if found and len({owner for _, owner in found}) == 1:
        kind, owner = found[0]
        decision.outcome, decision.user_id = "skipped", owner
        decision.reason = (f"the user exists already (found by {kind.replace('_', ' ')}); this run matches users by "
                           f"{identifier.replace('_', ' ')}, which the record does not have")
        return
    others = ", ".join(i for i in IDENTIFIERS if i != identifier)
    decision.errors = [_issue(identifier, f"missing: this import matches users by {identifier} "
                                          f"(import such records in a run with another --identifier: {others})")]


def classify(
    candidates: Sequence[Candidate],
    *,
    mode: str,
    identifier: str,
    owners: Mapping[Key, uuid.UUID | None],
    touched: Mapping[uuid.UUID, int],
) -> list[Decision]:
    """Decide every record of a batch, in file order.

    ``owners``: the user owning each key of the batch (absent or None: free), as stored before
    this batch. ``touched``: users earlier batches of this job inserted, updated or skipped, with
    the line that did it. A record for a user an earlier record of the same file already wrote fails as
    a duplicate; a record whose other keys (login IDs, external_id, id, federated identities)
    belong to another user fails naming the key. Records are never merged.
    """
    claims: dict[Key, tuple[int, uuid.UUID]] = {}  # keys written by earlier records of this batch
    decisions = []
    for cand in candidates:
        decision = Decision(cand, "failed")
        decisions.append(decision)
        if cand.errors:
            decision.errors = list(cand.errors)
            continue
        if cand.match is None:
            _without_identifier(decision, identifier, owners)
            continue
        claimed = claims.get(cand.match)
        if claimed is not None:
            decision.errors = [_issue(identifier, f"duplicate of line {claimed[0]}")]
            continue
        existing = owners.get(cand.match)
        if existing is not None and existing in touched:
            decision.errors = [_issue(identifier, f"duplicate of line {touched[existing]}")]
            continue
        label = identifier.replace("_", " ")
        if existing is not None and mode == "insert":
            decision.outcome, decision.user_id = "skipped", existing
            decision.reason = f"a user with this {label} already exists (insert mode keeps existing users as they are)"
            claims[cand.match] = (cand.line, existing)  # a second record for this user is still a duplicate
            continue
        if existing is None and mode == "update":
            decision.outcome = "skipped"
            decision.reason = f"no user with this {label} exists (update mode changes existing users only)"
            continue
        if existing is not None:
            target, decision.action, decision.outcome = existing, "update", "updated"
        else:
            new_id = cand.new_id or new_user_id(cand.rec or {})
            target, decision.action, decision.outcome = new_id, "insert", "inserted"
        decision.user_id = target
        conflicts = []
        for key in cand.keys:
            if key == cand.match:
                continue
            if key[0] == "id" and key[1] != target:
                conflicts.append(_issue("id", f"does not match the user found by {identifier} ({target})"))
                continue
            if key[0] == "id" and decision.action == "update":
                continue  # the matched user's own id
            new_id = key[0] == "id"  # an inserted user's id must be free, even "owned" by itself
            earlier = claims.get(key)
            if earlier is not None and (earlier[1] != target or new_id):
                error = conflict_error(key)
                conflicts.append(_issue(error.path, error.message + _where(earlier[0])))
                continue
            owner = owners.get(key)
            if owner is not None and (owner != target or new_id):
                error = conflict_error(key)
                conflicts.append(_issue(error.path, error.message + _where(touched.get(owner))))
        if conflicts:
            decision.fail(conflicts)
            continue
        for key in cand.keys:
            claims[key] = (cand.line, target)
    return decisions


@dataclass
class Effects:
    """What batches write, as classification sees it: the keys they claim (owner) or release
    (None), and the users they touch (with the line that did it).

    A dry run keeps the effects of all its batches (``import_ledger``); a real run only those of
    the batch still being written while the next one is classified.
    """

    owners: dict[Key, uuid.UUID | None] = field(default_factory=dict)
    touched: dict[uuid.UUID, int] = field(default_factory=dict)

    @classmethod
    def of(cls, decisions: Sequence[Decision], plans: Mapping[uuid.UUID, UpdatePlan]) -> Effects:
        effects = cls()
        for d in decisions:
            if d.user_id is None or d.outcome == "failed":
                continue
            effects.touched[d.user_id] = d.cand.line
            if d.action is None:
                continue
            for key in d.cand.keys:
                effects.owners[key] = d.user_id
            plan = plans.get(d.user_id)
            if plan is not None:
                for key in plan.claimed:
                    effects.owners[key] = d.user_id
                for key in plan.released:
                    effects.owners[key] = None
        return effects

    def overlay(self, keys: Iterable[Key], owners: Mapping[Key, uuid.UUID]) -> dict[Key, uuid.UUID]:
        """``owners`` (as stored) with these effects applied, for ``keys``."""
        merged = dict(owners)
        for key in keys:
            if key in self.owners:
                owner = self.owners[key]
                if owner is None:
                    merged.pop(key, None)
                else:
                    merged[key] = owner
        return merged
