"""Writes docs/hash-formats.md from the registry, so the page cannot drift from the code.

    python -m authshift.passwords.docgen > docs/hash-formats.md

A test regenerates the page and compares, and verifies every example it shows.
"""

from __future__ import annotations

import dataclasses
import json

from authshift.passwords.model import FormatInfo, Limits
from authshift.passwords.service import formats

INTRO = """\
# Password hash formats

authshift verifies the password hashes of the systems you migrate from, byte for byte, and
replaces each with a native **argon2id** hash the first time its user signs in. This page lists
every format: its name in authshift, how it is recognised (or the object to give when the hash
does not describe itself) and one worked example (a password and its stored form).

*This page is generated from the format registry (`python -m authshift.passwords.docgen`);
a test checks that it is current and that every example on it verifies.*

## How a hash is given

In an import record the password is one of:

- a **self-describing string**, e.g. `"$2b$12$..."`, or `{"hash": "$2b$12$..."}`;
- a **structured object** for hashes with no self-describing form, selected by its
  `"algorithm"`, e.g. `{"algorithm": "md5", "hash": "...", "salt": "...", "salt_position": "prefix"}`.
  A Keycloak credential is recognised by its own keys (`secretData`, `credentialData`, ...).

Extra keys in the object (`must_change`, `expire_at`, ...) are handled by the record layer.
A hash starting with `$` is always read as a self-describing string.

## Shapes that several systems wrote: name the format

Some strings do not say which system wrote them:

| shape | read as (a guess) | or, when named |
|---|---|---|
| 32 hex digits | `django_unsalted_md5` (MD5) | `nt_hash` (`"format": "nt"`) |
| `sha1$<salt>$<hex>` | `django_sha1` | `werkzeug_sha1` (`"format": "werkzeug"`) |
| `md5$<salt>$<hex>` | `django_md5` | `werkzeug_md5` (`"format": "werkzeug"`) |

Name the family in the password object, `{"hash": "sha1$...", "format": "werkzeug"}` (a format
name from this page, or a family: `django`, `werkzeug`, `nt`, `md5`), or for a whole file with
`authshift import --hash-format werkzeug` (the admin API's `hash_format` option), which applies
where it fits the hash and leaves other hashes to their own prefix. A record's own `"format"`
must fit its hash, or the record fails with the reason. A hash whose family was only guessed from
its shape is imported with a warning in the report and readiness `unverified` until its user
signs in. A named format is kept with the hash, and an export writes it back as `"format"`.
Structured objects are stored as canonical compact JSON with every default filled in.

Check a whole export before importing it:

<!-- not run: the hashes are elided ('...'); docs/bulk-migration.md runs these commands on real hashes -->
```sh
authshift hashes identify hashes.txt          # one hash (or JSON object) per line
printf '%s\\n' 'the password' | authshift hashes verify --hash '$2b$12$...'
authshift hashes verify --hash '{"algorithm": "firebase_scrypt", ...}' --hash-config firebase.txt < password.txt
```

`identify` exits 0 when every line is usable and 1 otherwise; `verify` exits 0 on a match,
1 on no match and 2 when the hash cannot be read (the reason is printed on stderr).

## Rehashing

`verify` answers *ok* and *needs rehash*. Every format except argon2id at native strength
(argon2-cffi's defaults: m=65536 KiB, t=3, p=4) needs a rehash; the login path rehashes once,
after the first successful sign-in.

## Ceilings

A stored hash whose cost is over a ceiling is refused when it is imported and when it is
verified, so an import file cannot make a login exhaust memory or CPU. The defaults
(`authshift.passwords.Limits`) admit what the supported systems write with their own defaults:

| setting | default |
|---|---|
"""

FIREBASE_NOTE = """\
### Firebase hash configuration

Firebase's project parameters are given once, in a file, and referred to by name from each
record (`"hash_config": "default"`). The file may be the block exactly as the Firebase
console shows it (Authentication, Users, menu, *Password hash parameters*):

```text
hash_config {
  algorithm: SCRYPT,
  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,
  base64_salt_separator: Bw==,
  rounds: 8,
  mem_cost: 14,
}
```

or JSON / TOML with the keys `base64_signer_key`, `base64_salt_separator`, `rounds`, `mem_cost`
(that config is named `default`, or what `authshift import --hash-config-name NAME` says), or
a mapping of names to such objects for several projects.

An import keeps the parameters in the database under their name, the signer key encrypted with
the instance's encryption key, and sign-in finds them there; parameters given inline in a
record (as in the example above) are kept the same way, under a name derived from them, so a
signer key never sits in a password row. Users of several Firebase projects each verify with
their own project's parameters.
"""


def _limits_rows() -> str:
    rows = []
    for field in dataclasses.fields(Limits):
        value = getattr(Limits(), field.name)
        rows.append(f"| `{field.name}` | {value} |")
    return "\n".join(rows) + "\n"


def _entry(info: FormatInfo) -> str:
    if isinstance(info.example, str):
        stored = f"```text\n{info.example}\n```"
    else:
        stored = f"```json\n{json.dumps(info.example, indent=2, ensure_ascii=False)}\n```"
    return (
        f"### `{info.name}`\n\n"
        f"{info.description}\n\n"
        f"- Recognised by: {info.recognised_by}\n"
        f"- Password: `{info.example_password}`\n"
        f"- Stored form:\n\n"
        f"{stored}\n"
    )


def render() -> str:
    infos = formats()
    parts = [INTRO, _limits_rows(), "\n## Self-describing formats\n\n"]
    parts.append("\n".join(_entry(info) for info in infos if not info.structured))
    parts.append("\n## Structured formats\n\n")
    parts.append("\n".join(_entry(info) for info in infos if info.structured))
    parts.append("\n" + FIREBASE_NOTE)
    return "".join(parts)


if __name__ == "__main__":
    print(render(), end="")
