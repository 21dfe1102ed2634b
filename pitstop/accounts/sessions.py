"""Server-side sessions in PostgreSQL.

The browser holds a random token in a `__Host-` cookie; the table holds only its SHA-256. A new
token is made at every sign-in (whatever the browser brought is never promoted to a signed-in
session), and sessions end at sign-out, after the idle or absolute timeout, when an administrator
ends them, and when the user's roles change.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from pitstop.accounts import queries
from pitstop.accounts.identity import AuthMethod, Identity, from_row

COOKIE = "__Host-pitstop_session"
# Writing last_seen_at on every request would turn every page view into a write; a minute's
# precision on a 30-minute idle timeout is plenty.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start(conn: asyncpg.Connection, user_id: int, client_addr: str | None, policy: SessionPolicy) -> str:
    """Create a session and return the token for the cookie (the only place it exists)."""
    token = new_token()
    await queries.insert_session(conn, hash_token(token), user_id, _now() + policy.absolute, client_addr)
    return token


@dataclass(frozen=True, slots=True)
class Resolved:
    identity: Identity | None
    expired_user_id: int | None = None  # set when the cookie named a session that has just timed out
    idle_deadline: datetime | None = None


async def resolve(pool: asyncpg.Pool, token: str, policy: SessionPolicy) -> Resolved:
    """Who this cookie signs in, if anyone. Expired sessions are deleted when met."""
    token_hash = hash_token(token)
    row = await queries.session_identity(pool, token_hash)
    if row is None:
        return Resolved(identity=None)
    now = _now()
    if row["expires_at"] <= now or row["last_seen_at"] + policy.idle <= now:
        await queries.delete_session(pool, token_hash)
        return Resolved(identity=None, expired_user_id=row["user_id"])
    if now - row["last_seen_at"] >= TOUCH_EVERY:
        await queries.touch_session(pool, token_hash)
        last_seen = now
    else:
        last_seen = row["last_seen_at"]
    identity = from_row(row, AuthMethod.SESSION, token_hash)
    return Resolved(identity=identity, idle_deadline=min(last_seen + policy.idle, row["expires_at"]))


async def still_valid(pool: asyncpg.Pool, token_hash: str, policy: SessionPolicy) -> bool:
    """Whether a session still stands, read without touching it: a long-lived request (a live stream)
    must not keep alive a session its user has left."""
    row = await queries.session_identity(pool, token_hash)
    now = _now()
    return row is not None and row["expires_at"] > now and row["last_seen_at"] + policy.idle > now


async def keep_alive(conn: asyncpg.Connection, token_hash: str) -> None:
    await queries.touch_session(conn, token_hash)


async def end(conn: asyncpg.Connection, token_hash: str) -> int | None:
    return await queries.delete_session(conn, token_hash)


async def purge(db: asyncpg.Pool | asyncpg.Connection, policy: SessionPolicy) -> int:
    return await queries.purge_sessions(db, _now() - policy.idle)


def _now() -> datetime:
    return datetime.now(UTC)
