"""Networks an account's owner has signed in from: there, failures wait, they are never locked out.

An attacker who guesses at an account from many addresses pushes it over the account-wide budget,
and the account is then refused for unknown sources. The owner must still get in. A browser that
signed in before is recognised by its device cookie (``http/browser.py``); a new browser, or one
whose cookies were cleared, on the owner's own network (the office, the home connection) is
recognised by the network: the IPv4 /24 or IPv6 /64 from which this account completed a sign-in
in the last ``[throttle] known_network_days``. Such attempts get delays that grow, like a known
device, on a counter of their own.

The table holds a digest of the network, never the address: it is personal data, and the
digest is all the check needs.
"""

from __future__ import annotations

import ipaddress
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.security.digests import secret_digest
from authshift.storage.db import is_postgres
from authshift.storage.tables import metadata
from authshift.storage.types import UtcDateTime, utcnow

__all__ = ["known_networks", "network_of", "known_network", "remember_network", "prune_networks"]

IPV4_PREFIX = 24
IPV6_PREFIX = 64

known_networks = sa.Table(
    "known_networks",
    metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("network", sa.Text, primary_key=True),  # a digest of the /24 or /64, see _digest
    sa.Column("last_seen_at", UtcDateTime, nullable=False, index=True),
)


def network_of(ip: str | None) -> str | None:
    """The network an address belongs to, as text (``203.0.113.0/24``); None when it is no address."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _digest(user_id: uuid.UUID, network: str) -> str:
    return secret_digest(f"known-network|{user_id}|{network}")[:40]


async def known_network(conn: AsyncConnection, user_id: uuid.UUID, ip: str | None, *, days: int) -> str | None:
    """The network's digest when the account completed a sign-in from it in the last ``days``."""
    network = network_of(ip)
    if network is None:
        return None
    digest = _digest(user_id, network)
    t = known_networks.c
    found = await conn.execute(sa.select(t.last_seen_at).where(
        t.user_id == user_id, t.network == digest, t.last_seen_at >= utcnow() - timedelta(days=days)))
    return digest if found.first() is not None else None


async def remember_network(conn: AsyncConnection, user_id: uuid.UUID, ip: str | None, *,
                           now: datetime | None = None) -> None:
    """A sign-in completed (every factor) from ``ip``: its network is the owner's from now on."""
    network = network_of(ip)
    if network is None:
        return
    values = {"user_id": user_id, "network": _digest(user_id, network), "last_seen_at": now or utcnow()}
    insert = (pg_insert if is_postgres(conn) else sqlite_insert)(known_networks).values(values)
    await conn.execute(insert.on_conflict_do_update(
        index_elements=["user_id", "network"], set_={"last_seen_at": insert.excluded.last_seen_at}))


async def prune_networks(conn: AsyncConnection, *, days: int) -> int:
    """Forget networks not signed in from for ``days``."""
    result = await conn.execute(known_networks.delete().where(
        known_networks.c.last_seen_at < utcnow() - timedelta(days=days)))
    return int(result.rowcount or 0)
