"""Personal calendar subscription feeds: `/calendar/{token}.ics`, read by a calendar app without signing in.

The token is 256 random bits, shown once and stored only as its SHA-256. A user has at most one feed that
works: a new one revokes the old, and turning it off revokes it. A feed stops working when its user is
deactivated. Every read is audited as the feed's user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import asyncpg
import msgspec

from pitstop.accounts.identity import Identity
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.invites import service as invites

TOKEN_BYTES = 32


class Feed(msgspec.Struct, frozen=True, kw_only=True):
    created_at: datetime
    last_read_at: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def address(secret: str) -> str:
    return f"{invites.site().base_url.rstrip('/')}/calendar/{secret}.ics"


async def current(conn: asyncpg.Connection, actor: Identity) -> Feed | None:
    row = await conn.fetchrow(
        "SELECT created_at, last_read_at FROM calendar_feed WHERE user_id = $1 AND revoked_at IS NULL",
        actor.user_id,
    )
    return None if row is None else Feed(created_at=row["created_at"], last_read_at=row["last_read_at"])


async def _revoke(conn: asyncpg.Connection, actor: Identity) -> int | None:
    return await conn.fetchval(
        "UPDATE calendar_feed SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id",
        actor.user_id,
    )


async def create(conn: asyncpg.Connection, actor: Identity, origin: audit.Origin) -> str:
    """A new feed for the user (the old one stops working): its secret, to show once."""
    await conn.execute("SELECT 1 FROM app_user WHERE id = $1 FOR UPDATE", actor.user_id)  # one at a time
    await _revoke(conn, actor)
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    feed_id = await conn.fetchval(
        "INSERT INTO calendar_feed (partnership_id, user_id, token_hash) VALUES ($1, $2, $3) RETURNING id",
        actor.partnership_id,
        actor.user_id,
        _hash(secret),
    )
    await audit.record(
        conn,
        AuditAction.CALENDAR_FEED_CREATED,
        actor=actor,
        origin=origin,
        record_type="calendar_feed",
        record_id=feed_id,
    )
    return secret


async def revoke(conn: asyncpg.Connection, actor: Identity, origin: audit.Origin) -> bool:
    feed_id = await _revoke(conn, actor)
    if feed_id is not None:
        await audit.record(
            conn,
            AuditAction.CALENDAR_FEED_REVOKED,
            actor=actor,
            origin=origin,
            record_type="calendar_feed",
            record_id=feed_id,
        )
    return feed_id is not None


async def read(conn: asyncpg.Connection, secret: str, origin: audit.Origin) -> bytes | None:
    """The feed's calendar, or None for a token that is unknown, revoked or whose user is deactivated."""
    if not 20 <= len(secret) <= 100:
        return None
    row = await conn.fetchrow(
        """SELECT f.id, u.id AS user_id, u.partnership_id, u.agency_id, u.email
             FROM calendar_feed f JOIN app_user u ON u.id = f.user_id
            WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND u.active""",
        _hash(secret),
    )
    if row is None:
        return None
    payload = await invites.user_feed(conn, row["partnership_id"], row["user_id"], row["email"])
    await conn.execute("UPDATE calendar_feed SET last_read_at = now() WHERE id = $1", row["id"])
    await audit.record(
        conn,
        AuditAction.CALENDAR_FEED_READ,
        actor=None,
        origin=origin,
        user_id=row["user_id"],
        agency_id=row["agency_id"],
        partnership_id=row["partnership_id"],
        record_type="calendar_feed",
        record_id=row["id"],
    )
    return payload
