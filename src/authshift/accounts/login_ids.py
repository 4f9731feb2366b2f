"""Which kind of login ID a person typed, and its normalised form.

An ``@`` makes it an email; a leading ``+`` (or only digits and phone punctuation) a phone number;
anything else a username. A value that could be a username as well is also tried as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from authshift.accounts.normalize import InvalidLoginId, normalize_email, normalize_phone, normalize_username

_PHONEISH = re.compile(r"^\+?[\d\s().-]{6,}$")


@dataclass(frozen=True)
class LoginId:
    kind: str  # "email" | "phone_number" | "preferred_username"
    value: str  # normalised


def login_key(login_id: str) -> str:
    """One key per login however it is typed (``Foo@X.com`` and ``foo@x.com`` share it): what the
    sign-in throttle counts attempts by."""
    found = candidates(login_id)
    return found[0].value if found else login_id.strip().casefold()


def candidates(login_id: str) -> list[LoginId]:
    """The normalised forms a typed login ID may stand for, most likely first (possibly none)."""
    text = login_id.strip()
    found: list[LoginId] = []
    if "@" in text:
        try:
            found.append(LoginId("email", normalize_email(text)))
        except InvalidLoginId:
            pass
    elif _PHONEISH.match(text):
        try:
            found.append(LoginId("phone_number", normalize_phone(text)))
        except InvalidLoginId:
            pass
    try:
        found.append(LoginId("preferred_username", normalize_username(text)))
    except InvalidLoginId:
        pass
    return found


NORMALIZERS = {
    "email": normalize_email,
    "phone_number": normalize_phone,
    "preferred_username": normalize_username,
}
