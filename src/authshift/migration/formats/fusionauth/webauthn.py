"""FusionAuth's passkeys: the body of ``POST /api/webauthn/import`` (``{"credentials": [...]}``),
given beside the user import file (``--fusionauth-webauthn``) and joined to users by ``userId``.

FusionAuth keeps passkeys apart from users (its WebAuthn API, not its user import), so authshift
reads them from their own file, in the shape FusionAuth documents for importing them:
``credentialId`` (base64url), ``publicKey`` (PEM), ``algorithm`` (a COSE algorithm number),
``relyingPartyId``, ``signCount``, ``transports``, ``displayName``, ``name``, ``insertInstant``,
``lastUseInstant`` and ``userId``. The PEM key becomes the COSE_Key authshift stores
(``_webauthn_keys``). The user handle FusionAuth gives authenticators is the UTF-8 text of the
user's id (its authentication example's ``userHandle`` decodes to the ``userId``), so a passkey
made there presents the same handle here.

The file is indexed on disk (SQLite in a temporary file) so that joining millions of users
keeps memory flat. A credential whose ``userId`` is no user of the users file is not lost
silently: ``orphans`` lists each, and the reader reports it as a failed record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from authshift.migration.formats._mapping import RecordBuilder
from authshift.migration.formats._passkeys import PasskeyRefused, passkey_entry, refuse
from authshift.migration.formats._side_index import SideIndex
from authshift.migration.formats._stream import iter_json_array, iter_json_member, open_source
from authshift.migration.formats.base import SourceFormatError, SourceItem
from authshift.records import FieldIssue

__all__ = ["CredentialIndex", "map_credential"]


def map_credential(raw: Any, path: str, b: RecordBuilder) -> None:
    """Add one FusionAuth credential to the user being built, or say why it is not imported."""
    if not isinstance(raw, dict):
        refuse(b, path, "expected an object")
        return
    user_id = raw.get("userId")
    try:
        entry = passkey_entry(
            credential_id=raw.get("credentialId"), public_key=raw.get("publicKey"), algorithm=raw.get("algorithm"),
            user_handle=str(user_id).encode() if isinstance(user_id, str) and user_id else None,
            sign_count=raw.get("signCount", 0), rp_id=raw.get("relyingPartyId"), transports=raw.get("transports"),
            name=raw.get("displayName") or raw.get("name"), created_ms=raw.get("insertInstant"),
            last_used_ms=raw.get("lastUseInstant"),
        )
    except PasskeyRefused as exc:
        refuse(b, path, str(exc))
        return
    b.obj.setdefault("mfa", {}).setdefault("webauthn", []).append(entry)


class CredentialIndex(SideIndex):
    """The credentials file, indexed by ``userId`` on disk (``SideIndex``)."""

    def __init__(self, path: Path) -> None:
        super().__init__("authshift-fusionauth-webauthn-")
        self._db = self.db
        self._db.execute("CREATE TABLE c (position INTEGER PRIMARY KEY, line INTEGER, user_id TEXT, obj TEXT, "
                         "used INTEGER NOT NULL DEFAULT 0)")
        try:
            with open(path, "rb") as stream:
                opened = open_source(stream)
                if opened.layout in ("json_object", "ndjson"):  # the body, pretty-printed or on one line
                    items = iter_json_member(opened.stream, "credentials")
                elif opened.layout == "json_array":
                    items = iter_json_array(opened.stream)
                else:
                    raise SourceFormatError('the FusionAuth WebAuthn file must be the /api/webauthn/import body '
                                            '({"credentials": [...]})')
                self._db.executemany("INSERT INTO c (position, line, user_id, obj) VALUES (?, ?, ?, ?)",
                                     self._rows(items))
        except OSError as exc:
            self.close()
            raise SourceFormatError(f"cannot read the FusionAuth WebAuthn file: {exc.strerror}") from None
        except SourceFormatError:
            self.close()
            raise
        self._db.execute("CREATE INDEX c_user ON c (user_id)")

    @staticmethod
    def _rows(items: Iterator[SourceItem]) -> Iterator[tuple[int, int, str | None, str | None]]:
        for item in items:
            obj = item.obj if item.ok else None
            user_id = obj.get("userId") if isinstance(obj, dict) else None
            yield (item.index, item.line, user_id if isinstance(user_id, str) else None,
                   json.dumps(obj) if obj is not None else None)

    def attach(self, user_id: Any, b: RecordBuilder) -> None:
        """Add the passkeys of FusionAuth user ``user_id`` to the record being built."""
        if not isinstance(user_id, str) or not user_id:
            return
        rows = self._db.execute("SELECT position, obj FROM c WHERE user_id = ? ORDER BY position", (user_id,)).fetchall()
        for position, obj in rows:
            map_credential(json.loads(obj), f"webauthn.credentials[{position - 1}]", b)
        if rows:
            self._db.execute("UPDATE c SET used = 1 WHERE user_id = ?", (user_id,))

    def orphans(self, first_index: int) -> Iterator[SourceItem]:
        """A failed item for every credential no user took (unreadable, or its user is not in the file)."""
        rows = self._db.execute("SELECT position, line, user_id FROM c WHERE used = 0 ORDER BY position")
        for offset, (position, line, user_id) in enumerate(rows.fetchall()):
            where = f"webauthn.credentials[{position - 1}]"
            reason = (f"no user with id {user_id!r} in the users file" if user_id else
                      "the credential has no userId (or could not be read)")
            yield SourceItem(line, first_index + offset, None, (FieldIssue(where, f"{reason}: the passkey was not "
                                                                                  "imported"),))
