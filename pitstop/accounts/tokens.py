"""API tokens for system-to-system use (a police system posting notifications).

A token is shown once, stored as a SHA-256 (it is 256 random bits, so a fast hash is safe), has
scopes and an expiry, can be revoked, and never does more than its user's roles allow.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from pitstop.accounts import policy, queries
from pitstop.accounts.identity import AuthMethod, Identity, from_row
from pitstop.accounts.models import ApiToken, Scope
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.errors import Invalid, NotFound

TOKEN_PREFIX = "pst_"
DEFAULT_DAYS = 90
MAX_DAYS = 365
# Updating last_used_at on every call would make each API read a write.
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once to whoever created it, never stored


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create(
    conn: asyncpg.Connection,
    *,
    actor: Identity | None,
    user_id: int,
    name: str,
    scopes: list[Scope],
    days: int = DEFAULT_DAYS,
    origin: audit.Origin,
) -> NewToken:
    """Create a token for a user. `actor` None means the operator's command line."""
    if actor is not None:
        policy.require(actor, policy.Permission.ADMINISTER_TOKENS)
    owner = await queries.user(conn, user_id)
    if owner is None or (actor is not None and owner.partnership_id != actor.partnership_id):
        # The same words for "no such user" and "not in your partnership": nothing is revealed.
        raise Invalid({"user_id": "Select who the token acts as"})
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Enter a name for the token, for example the system that will use it"
    allowed = policy.scopes_allowed(frozenset(owner.roles))
    if not scopes:
        errors["scopes"] = "Select at least one scope"
    elif refused := sorted(s.value for s in scopes if s not in allowed):
        errors["scopes"] = f"{owner.name}'s roles do not allow: {', '.join(refused)}"
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = f"Expiry must be between 1 and {MAX_DAYS} days"
    if not owner.active:
        errors["user_id"] = "This user is deactivated"
    if errors:
        raise Invalid(errors)

    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = await queries.insert_token(
        conn,
        partnership_id=owner.partnership_id,
        user_id=owner.id,
        name=name.strip(),
        token_hash=hash_token(secret),
        token_prefix=secret[:10],
        scopes=sorted(set(scopes)),
        expires_at=datetime.now(UTC) + timedelta(days=days),
        created_by=actor.user_id if actor else None,
    )
    await audit.record(
        conn,
        AuditAction.TOKEN_CREATED,
        actor=actor,
        origin=origin,
        partnership_id=owner.partnership_id,
        record_type="api_token",
        record_id=token_id,
        detail={"for_user_id": owner.id, "scopes": sorted(s.value for s in scopes), "days": days},
    )
    found = await queries.token(conn, token_id)
    assert found is not None
    return NewToken(token=found[0], secret=secret)


async def list_tokens(conn: asyncpg.Connection, actor: Identity) -> list[ApiToken]:
    policy.require(actor, policy.Permission.ADMINISTER_TOKENS)
    return await queries.list_tokens(conn, actor.partnership_id)


async def revoke(conn: asyncpg.Connection, *, actor: Identity | None, token_id: int, origin: audit.Origin) -> ApiToken:
    """Revoke a token. `actor` None means the operator's command line."""
    found = await queries.token(conn, token_id)
    if actor is not None:
        policy.require(actor, policy.Permission.ADMINISTER_TOKENS)
        policy.visible(actor, "api_token", found, found[1] if found else None)
    if found is None:
        raise NotFound("api_token")
    if await queries.revoke_token(conn, token_id, actor.user_id if actor else None):
        await audit.record(
            conn,
            AuditAction.TOKEN_REVOKED,
            actor=actor,
            origin=origin,
            partnership_id=found[1],
            record_type="api_token",
            record_id=token_id,
        )
    refreshed = await queries.token(conn, token_id)
    assert refreshed is not None
    return refreshed[0]


async def resolve(pool: asyncpg.Pool, secret: str) -> Identity | None:
    """Who a bearer token acts as, or None if it is unknown, expired, revoked or its user deactivated."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    row = await queries.token_identity(pool, hash_token(secret))
    if row is None:
        return None
    if row["last_used_at"] is None or datetime.now(UTC) - row["last_used_at"] >= TOUCH_EVERY:
        await queries.touch_token(pool, row["token_id"])
    return from_row(row, AuthMethod.TOKEN, str(row["token_id"]), scopes=frozenset(Scope(s) for s in row["scopes"]))
