"""Signing in with an email address and password.

All of sign-in lives here, so single sign-on and a second factor can plug in beside it later.
Failures say the same thing whether or not the account exists, take as long either way, and are
throttled per account and per client address with counts kept in PostgreSQL (so the limits hold
across several app processes).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import asyncpg

from pitstop.accounts import passwords, queries, sessions
from pitstop.accounts.models import User
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_CLIENT = 20


class Outcome(StrEnum):
    SIGNED_IN = "signed_in"
    INVALID = "invalid"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class SignIn:
    outcome: Outcome
    user: User | None = None
    session_token: str | None = None


def account_key(secret_key: str, email: str) -> str:
    """A keyed hash of the typed email: throttling needs to count it, not to know it."""
    return hmac.new(secret_key.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


async def sign_in(
    conn: asyncpg.Connection,
    *,
    email: str,
    password: str,
    secret_key: str,
    policy: sessions.SessionPolicy,
    origin: audit.Origin,
) -> SignIn:
    key = account_key(secret_key, email)
    user = await queries.user_by_email(conn, email) if "@" in email else None
    by_account, by_client = await queries.recent_failures(conn, key, origin.client_addr, _now() - WINDOW)
    if by_account >= MAX_FAILURES_PER_ACCOUNT or by_client >= MAX_FAILURES_PER_CLIENT:
        await queries.record_attempt(conn, key, origin.client_addr, succeeded=False)
        await _audit_failure(conn, AuditAction.SIGN_IN_THROTTLED, user, origin)
        return SignIn(Outcome.THROTTLED)

    stored = await queries.password_hash(conn, user.id) if user and user.active else None
    if not await passwords.verify_password(stored, password) or user is None:
        await queries.record_attempt(conn, key, origin.client_addr, succeeded=False)
        await _audit_failure(conn, AuditAction.SIGN_IN_FAILED, user, origin)
        return SignIn(Outcome.INVALID)

    await queries.record_attempt(conn, key, origin.client_addr, succeeded=True)
    if stored and passwords.needs_rehash(stored):
        await queries.set_password(
            conn, user.id, await passwords.hash_password(password), must_change=user.must_change_password
        )
    token = await sessions.start(conn, user.id, origin.client_addr, policy)
    await audit.record(
        conn,
        AuditAction.SIGN_IN,
        actor=None,
        origin=origin,
        user_id=user.id,
        agency_id=user.agency_id,
        partnership_id=user.partnership_id,
        record_type="user",
        record_id=user.id,
    )
    return SignIn(Outcome.SIGNED_IN, user=user, session_token=token)


async def _audit_failure(
    conn: asyncpg.Connection, action: AuditAction, user: User | None, origin: audit.Origin
) -> None:
    # The account tried is recorded by id when it exists; an unknown address is not recorded at all.
    await audit.record(
        conn,
        action,
        actor=None,
        origin=origin,
        partnership_id=user.partnership_id if user else None,
        record_type="user" if user else None,
        record_id=user.id if user else None,
    )


def _now() -> datetime:
    return datetime.now(UTC)
