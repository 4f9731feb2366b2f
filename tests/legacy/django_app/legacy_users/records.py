"""Translation between Django users and authshift's user record format (docs/import-format.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import identify_hasher, make_password
from django.contrib.auth.models import Group, User
from django.utils.dateparse import parse_datetime

from legacy_users.models import Profile


class RecordError(ValueError):
    """A write-back record that cannot be applied (HTTP 400)."""


class RecordConflict(ValueError):
    """A write-back record that clashes with another user (HTTP 409)."""


def find_user(login_id: str) -> User | None:
    """The user a login id names: the exact username, else the email ignoring case."""
    user = User.objects.select_related("profile").filter(username=login_id).first()
    if user is not None:
        return user
    matches = list(User.objects.select_related("profile").filter(email__iexact=login_id)[:2])
    if len(matches) > 1:
        raise RecordConflict("several users share this email")
    return matches[0] if matches else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def user_record(user: User) -> dict[str, Any]:
    """The user as an authshift import record, without any password."""
    profile = Profile.objects.get_or_create(user=user)[0]
    full_name = user.get_full_name()
    custom_attributes = dict(profile.attributes)
    if profile.region:
        custom_attributes["region"] = profile.region
    roles = [role for role, held in (("staff", user.is_staff), ("superuser", user.is_superuser)) if held]
    record: dict[str, Any] = {
        "external_id": str(user.pk),
        "email": user.email or None,
        "email_verified": True if user.email else None,
        "preferred_username": user.username,
        "given_name": user.first_name or None,
        "family_name": user.last_name or None,
        "name": full_name or None,
        "phone_number": profile.phone_number or None,
        "disabled": not user.is_active,
        "created_at": _iso(user.date_joined),
        "last_login_at": _iso(user.last_login),
        "custom_attributes": custom_attributes,
        "roles": roles,
        "groups": sorted(user.groups.values_list("name", flat=True)),
    }
    return {key: value for key, value in record.items() if value is not None}


def _text(record: dict[str, Any], key: str, max_length: int) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"user.{key} must be a string")
    if len(value) > max_length:
        raise RecordError(f"user.{key} is longer than {max_length} characters")
    return value


def _moment(record: dict[str, Any], key: str) -> datetime | None:
    value = record.get(key)
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise RecordError(f"user.{key} must be an ISO 8601 date-time")
    return parsed


def _django_hash(record: dict[str, Any]) -> str | None:
    """A password hash this application can verify, if the event carries one."""
    password = record.get("password")
    encoded = password.get("hash") if isinstance(password, dict) else None
    if not isinstance(encoded, str):
        return None
    try:
        identify_hasher(encoded)
    except ValueError:
        return None
    return encoded


def _match(record: dict[str, Any]) -> User | None:
    external_id = record.get("external_id")
    if isinstance(external_id, str) and external_id.isdigit():
        user = User.objects.filter(pk=int(external_id)).first()
        if user is not None:
            return user
    authshift_id = record.get("id")
    if isinstance(authshift_id, str) and authshift_id:
        profile = Profile.objects.select_related("user").filter(authshift_id=authshift_id).first()
        if profile is not None:
            return profile.user
    email = _text(record, "email", 254)
    if email:
        matches = list(User.objects.filter(email__iexact=email)[:2])
        if len(matches) > 1:
            raise RecordConflict("several legacy users share this email")
        if matches:
            return matches[0]
        return None  # a different email under a known username is someone else: never merge them
    username = _text(record, "preferred_username", 150)
    if username:
        return User.objects.filter(username=username).first()
    return None


def delete_user(record: dict[str, Any]) -> tuple[str, int | None]:
    user = _match(record)
    if user is None:
        return "not_found", None
    user_id = user.pk
    user.delete()
    return "deleted", user_id


def _split_attributes(attributes: Any) -> tuple[str, dict[str, Any]]:
    """custom_attributes -> (the region column, the other attributes)."""
    if not isinstance(attributes, dict):
        raise RecordError("custom_attributes must be an object")
    attributes = dict(attributes)
    region = attributes.pop("region", "")
    if not isinstance(region, str) or len(region) > 32:
        raise RecordError("custom_attributes.region must be a string of at most 32 characters")
    return region, attributes


def set_groups(user: User, groups: Any) -> None:
    if not (isinstance(groups, list) and all(isinstance(g, str) and 0 < len(g) <= 150 for g in groups)):
        raise RecordError("groups must be a list of group names")
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])


def create_legacy_user(spec: dict[str, Any]) -> User:
    """A user as the legacy application itself would have made it (test-control surface).

    ``spec``: username, email, password (required); hasher (a PASSWORD_HASHERS algorithm,
    default the first); first_name, last_name, phone_number, region, attributes, groups,
    is_active, is_staff, is_superuser, date_joined, last_login.
    """
    allowed = {"username", "email", "password", "hasher", "first_name", "last_name", "phone_number", "region",
               "attributes", "groups", "is_active", "is_staff", "is_superuser", "date_joined", "last_login"}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise RecordError(f"unknown user fields: {unknown}")
    username, email, password = spec.get("username"), spec.get("email", ""), spec.get("password")
    if not (isinstance(username, str) and username and isinstance(email, str) and isinstance(password, str)):
        raise RecordError("username (non-empty), email and password must be strings")
    if User.objects.filter(username=username).exists():
        raise RecordConflict("the username is taken")
    try:
        encoded = make_password(password, hasher=spec.get("hasher") or "default")
    except ValueError as error:
        raise RecordError(f"hasher not enabled in LEGACY_PASSWORD_HASHERS: {error}") from None
    user = User(username=username, email=email, password=encoded,
                first_name=spec.get("first_name", ""), last_name=spec.get("last_name", ""),
                is_active=bool(spec.get("is_active", True)), is_staff=bool(spec.get("is_staff", False)),
                is_superuser=bool(spec.get("is_superuser", False)))
    for key in ("date_joined", "last_login"):
        moment = _moment(spec, key)
        if moment is not None:
            setattr(user, key, moment)
    extra = spec.get("attributes", {})
    if not isinstance(extra, dict):
        raise RecordError("attributes must be an object")
    region, attributes = _split_attributes({**extra, "region": spec.get("region", "")})
    user.save()
    Profile.objects.create(user=user, region=region, attributes=attributes,
                           phone_number=spec.get("phone_number", ""))
    set_groups(user, spec.get("groups", []))
    return user


def upsert_user(event_type: str, record: dict[str, Any]) -> tuple[str, int]:
    """Create or update the legacy copy of an authshift user; fields absent from the record stay."""
    email = _text(record, "email", 254)
    username = _text(record, "preferred_username", 150)
    authshift_id = _text(record, "id", 64)
    if not (email or username or authshift_id or record.get("external_id")):
        raise RecordError("user needs one of id, external_id, email or preferred_username")
    user = _match(record)
    created = user is None
    if created:
        username = username or email or f"authshift-{authshift_id}"
        if User.objects.filter(username=username).exists():
            raise RecordConflict("the username is taken by another legacy user")
        user = User(username=username)
        user.set_unusable_password()
        user.date_joined = _moment(record, "created_at") or user.date_joined
    elif username and username != user.username:
        if User.objects.filter(username=username).exclude(pk=user.pk).exists():
            raise RecordConflict("the username is taken by another legacy user")
        user.username = username
    if email is not None:
        user.email = email
    for key, field in (("given_name", "first_name"), ("family_name", "last_name")):
        value = _text(record, key, 150)
        if value is not None:
            setattr(user, field, value)
    if "disabled" in record:
        user.is_active = not bool(record["disabled"])
    if "last_login_at" in record:
        user.last_login = _moment(record, "last_login_at")
    password_hash = _django_hash(record)
    if password_hash is not None:
        user.password = password_hash
    elif event_type == "password.changed":
        user.set_unusable_password()  # the old legacy password must stop working
    user.save()
    profile = Profile.objects.get_or_create(user=user, defaults={"source": "authshift"})[0]
    if authshift_id:
        profile.authshift_id = authshift_id
    phone = _text(record, "phone_number", 32)
    if phone is not None:
        profile.phone_number = phone
    if "custom_attributes" in record:
        profile.region, profile.attributes = _split_attributes(record["custom_attributes"])
    profile.save()
    if "groups" in record:
        set_groups(user, record["groups"])
    return ("created" if created else "updated"), user.pk
