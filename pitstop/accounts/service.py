"""Rules for agencies, users and passwords. Every change is checked, versioned and audited.

`actor` None means the operator's command line (`pitstop users create`), which has no user; it
still writes audit rows, with no user id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import asyncpg
import msgspec

from pitstop.accounts import passwords, policy, queries, sessions
from pitstop.accounts.identity import AuthMethod, Identity
from pitstop.accounts.models import Agency, NewPartnership, Partnership, Role, User
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.errors import Conflict, Forbidden, Invalid

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NewUser(msgspec.Struct, frozen=True, kw_only=True):
    email: str
    name: str
    agency_id: int
    roles: list[Role]
    password: str


class UserChange(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    agency_id: int
    roles: list[Role]
    version: int


# ---- partnerships ---------------------------------------------------------------------------


async def ensure_partnership(
    conn: asyncpg.Connection, new: NewPartnership, origin: audit.Origin
) -> tuple[Partnership, bool]:
    """Create the partnership unless its slug exists (operators only: there is no page for it)."""
    partnership, created = await queries.ensure_partnership(conn, new)
    # Its working days and the bank holidays its clocks skip (idempotent).
    from pitstop.calendar import service as calendar

    await calendar.ensure_calendar(conn, partnership.id, calendar.calendar_years())
    if created:
        await audit.record(
            conn,
            AuditAction.PARTNERSHIP_CREATED,
            actor=None,
            origin=origin,
            partnership_id=partnership.id,
            record_type="partnership",
            record_id=partnership.id,
        )
    return partnership, created


# ---- agencies -------------------------------------------------------------------------------


async def list_agencies(conn: asyncpg.Connection, actor: Identity) -> list[Agency]:
    return await queries.list_agencies(conn, actor.partnership_id)


async def create_agency(
    conn: asyncpg.Connection,
    *,
    actor: Identity | None,
    partnership_id: int,
    name: str,
    agency_type: str,
    origin: audit.Origin,
) -> Agency:
    if actor is not None:
        policy.require(actor, policy.Permission.ADMINISTER_AGENCIES)
        partnership_id = actor.partnership_id
    errors = await _agency_errors(conn, name, agency_type)
    if not errors and await queries.agency_by_name(conn, partnership_id, name.strip()):
        errors["name"] = "An agency with this name already exists"
    if errors:
        raise Invalid(errors)
    agency_id = await queries.insert_agency(conn, partnership_id, name.strip(), agency_type)
    await audit.record(
        conn,
        AuditAction.AGENCY_CREATED,
        actor=actor,
        origin=origin,
        partnership_id=partnership_id,
        record_type="agency",
        record_id=agency_id,
    )
    created = await queries.agency(conn, agency_id)
    assert created is not None
    return created


async def update_agency(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    agency_id: int,
    version: int,
    name: str,
    agency_type: str,
    active: bool,
    origin: audit.Origin,
) -> Agency:
    policy.require(actor, policy.Permission.ADMINISTER_AGENCIES)
    current = await queries.agency(conn, agency_id)
    policy.visible(actor, "agency", current, current.partnership_id if current else None)
    assert current is not None
    errors = await _agency_errors(conn, name, agency_type)
    other = await queries.agency_by_name(conn, actor.partnership_id, name.strip()) if not errors else None
    if other is not None and other.id != agency_id:
        errors["name"] = "An agency with this name already exists"
    if not active and agency_id == actor.agency_id:
        errors["active"] = "You cannot deactivate your own agency"
    if errors:
        raise Invalid(errors)
    if not await queries.update_agency(conn, agency_id, version, name.strip(), agency_type, active):
        raise Conflict("agency changed", current=current)
    await audit.record(
        conn, AuditAction.AGENCY_UPDATED, actor=actor, origin=origin, record_type="agency", record_id=agency_id
    )
    updated = await queries.agency(conn, agency_id)
    assert updated is not None
    return updated


async def _agency_errors(conn: asyncpg.Connection, name: str, agency_type: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Enter the agency's name"
    elif len(name.strip()) > 120:
        errors["name"] = "Agency name must be 120 characters or fewer"
    if agency_type not in {t.code for t in await queries.agency_types(conn)}:
        errors["agency_type"] = "Select the type of agency"
    return errors


# ---- users ----------------------------------------------------------------------------------


async def list_users(conn: asyncpg.Connection, actor: Identity) -> list[User]:
    policy.require(actor, policy.Permission.ADMINISTER_USERS)
    return await queries.list_users(conn, actor.partnership_id)


async def get_user(conn: asyncpg.Connection, actor: Identity, user_id: int) -> User:
    policy.require(actor, policy.Permission.ADMINISTER_USERS)
    found = await queries.user(conn, user_id)
    policy.visible(actor, "user", found, found.partnership_id if found else None)
    assert found is not None
    return found


async def create_user(
    conn: asyncpg.Connection,
    *,
    actor: Identity | None,
    partnership_id: int,
    new: NewUser,
    origin: audit.Origin,
    must_change_password: bool = True,
) -> User:
    """Create a user with an initial password, which they must change at first sign-in."""
    if actor is not None:
        policy.require(actor, policy.Permission.ADMINISTER_USERS)
        partnership_id = actor.partnership_id
    email = new.email.strip().lower()
    errors = await _user_errors(conn, partnership_id, new.name, new.agency_id, new.roles)
    if not _EMAIL.match(email):
        errors["email"] = "Enter an email address in the correct format, like name@example.org"
    elif await queries.user_by_email(conn, email) is not None:
        errors["email"] = "A user with this email address already exists"
    if problem := passwords.problem(new.password, email=email, name=new.name):
        errors["password"] = problem
    if errors:
        raise Invalid(errors)
    try:
        user_id = await queries.insert_user(
            conn,
            partnership_id=partnership_id,
            agency_id=new.agency_id,
            email=email,
            name=new.name.strip(),
            roles=_ordered(new.roles),
            password_hash=await passwords.hash_password(new.password),
            must_change_password=must_change_password,
        )
    except asyncpg.UniqueViolationError:  # created by someone else since we looked
        raise Invalid({"email": "A user with this email address already exists"}) from None
    await audit.record(
        conn,
        AuditAction.USER_CREATED,
        actor=actor,
        origin=origin,
        partnership_id=partnership_id,
        record_type="user",
        record_id=user_id,
        detail={"roles": [r.value for r in _ordered(new.roles)], "agency_id": new.agency_id},
    )
    created = await queries.user(conn, user_id)
    assert created is not None
    return created


async def update_user(
    conn: asyncpg.Connection, *, actor: Identity, user_id: int, change: UserChange, origin: audit.Origin
) -> User:
    current = await get_user(conn, actor, user_id)
    errors = await _user_errors(
        conn, actor.partnership_id, change.name, change.agency_id, change.roles, current_agency_id=current.agency_id
    )
    if user_id == actor.user_id and Role.ADMIN not in change.roles:
        errors["roles"] = "You cannot remove your own administrator role"
    if errors:
        raise Invalid(errors)
    roles = _ordered(change.roles)
    if not await queries.update_user(
        conn, user_id, change.version, name=change.name.strip(), agency_id=change.agency_id, roles=roles
    ):
        raise Conflict("user changed", current=current)
    roles_changed = set(roles) != set(current.roles)
    ended = await queries.delete_user_sessions(conn, user_id) if roles_changed else 0
    await audit.record(
        conn,
        AuditAction.USER_UPDATED,
        actor=actor,
        origin=origin,
        record_type="user",
        record_id=user_id,
        detail={
            "roles": [r.value for r in roles],
            "agency_id": change.agency_id,
            "roles_changed": roles_changed,
            "sessions_ended": ended,
        },
    )
    return await get_user(conn, actor, user_id)


async def set_active(
    conn: asyncpg.Connection, *, actor: Identity, user_id: int, version: int, active: bool, origin: audit.Origin
) -> User:
    current = await get_user(conn, actor, user_id)
    if user_id == actor.user_id and not active:
        raise Invalid({"active": "You cannot deactivate your own account"})
    if not await queries.set_active(conn, user_id, version, active):
        raise Conflict("user changed", current=current)
    ended = revoked = 0
    if not active:
        # Signed out, their API tokens and calendar feed revoked: reactivating someone must not revive them.
        ended = await queries.delete_user_sessions(conn, user_id)
        revoked = await queries.revoke_user_tokens(conn, user_id, actor.user_id)
        await conn.execute(
            "UPDATE calendar_feed SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user_id
        )
    await audit.record(
        conn,
        AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED,
        actor=actor,
        origin=origin,
        record_type="user",
        record_id=user_id,
        detail={"sessions_ended": ended, "tokens_revoked": revoked},
    )
    return await get_user(conn, actor, user_id)


async def end_sessions(conn: asyncpg.Connection, *, actor: Identity, user_id: int, origin: audit.Origin) -> int:
    await get_user(conn, actor, user_id)
    ended = await queries.delete_user_sessions(conn, user_id)
    await audit.record(
        conn,
        AuditAction.USER_SESSIONS_ENDED,
        actor=actor,
        origin=origin,
        record_type="user",
        record_id=user_id,
        detail={"sessions_ended": ended},
    )
    return ended


async def reset_password(
    conn: asyncpg.Connection, *, actor: Identity, user_id: int, password: str, origin: audit.Origin
) -> User:
    """Set a new initial password: the user must change it at next sign-in; their sessions end."""
    current = await get_user(conn, actor, user_id)
    if problem := passwords.problem(password, email=current.email, name=current.name):
        raise Invalid({"password": problem})
    await queries.set_password(conn, user_id, await passwords.hash_password(password), must_change=True)
    ended = await queries.delete_user_sessions(conn, user_id)
    await audit.record(
        conn,
        AuditAction.USER_PASSWORD_RESET,
        actor=actor,
        origin=origin,
        record_type="user",
        record_id=user_id,
        detail={"sessions_ended": ended},
    )
    return await get_user(conn, actor, user_id)


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    session_token: str  # the new session's token: the old one, and every other, has ended


async def change_own_password(
    conn: asyncpg.Connection,
    *,
    identity: Identity,
    current_password: str,
    new_password: str,
    confirmation: str,
    policy_: sessions.SessionPolicy,
    origin: audit.Origin,
) -> PasswordChanged:
    if identity.method is not AuthMethod.SESSION:
        raise Forbidden("password change needs a signed-in person")
    errors: dict[str, str] = {}
    if not await passwords.verify_password(await queries.password_hash(conn, identity.user_id), current_password):
        errors["current_password"] = "Your current password is incorrect"
    if problem := passwords.problem(new_password, email=identity.email, name=identity.name):
        errors["new_password"] = problem
    elif new_password == current_password:
        errors["new_password"] = "Your new password must be different from your current password"
    if not errors and new_password != confirmation:
        errors["confirmation"] = "The passwords do not match"
    if errors:
        raise Invalid(errors)
    await queries.set_password(conn, identity.user_id, await passwords.hash_password(new_password), must_change=False)
    # Sign out everywhere else, and give this browser a new session id.
    await queries.delete_user_sessions(conn, identity.user_id)
    token = await sessions.start(conn, identity.user_id, origin.client_addr, policy_)
    await audit.record(
        conn,
        AuditAction.PASSWORD_CHANGED,
        actor=identity,
        origin=origin,
        record_type="user",
        record_id=identity.user_id,
    )
    return PasswordChanged(session_token=token)


async def _user_errors(
    conn: asyncpg.Connection,
    partnership_id: int,
    name: str,
    agency_id: int,
    roles: list[Role],
    current_agency_id: int | None = None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Enter the user's full name"
    elif len(name.strip()) > 120:
        errors["name"] = "Name must be 120 characters or fewer"
    agency = await queries.agency(conn, agency_id)
    if agency is None or agency.partnership_id != partnership_id:
        errors["agency_id"] = "Select the user's agency"
    elif not agency.active and agency_id != current_agency_id:
        # Someone already in a deactivated agency can still be edited (say, to remove a role).
        errors["agency_id"] = "This agency is deactivated; select another"
    if not roles:
        errors["roles"] = "Select at least one role"
    return errors


def _ordered(roles: list[Role]) -> list[Role]:
    return [r for r in Role if r in set(roles)]
