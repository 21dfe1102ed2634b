"""SQL for partnerships, agencies, users, sessions, sign-in attempts and API tokens.

Each function takes a connection and returns Structs or plain values; rules live in the services.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from pitstop.accounts.models import Agency, AgencyType, ApiToken, NewPartnership, Partnership, Role, Scope, User
from pitstop.db.rows import to_struct, to_structs

# ---- partnerships ---------------------------------------------------------------------------

_PARTNERSHIP = "id, slug, name, council_area, police_force, created_at"


async def list_partnerships(conn: asyncpg.Connection) -> list[Partnership]:
    return to_structs(await conn.fetch(f"SELECT {_PARTNERSHIP} FROM partnership ORDER BY name"), Partnership)  # noqa: S608


async def partnership_by_slug(conn: asyncpg.Connection, slug: str) -> Partnership | None:
    return to_struct(
        await conn.fetchrow(f"SELECT {_PARTNERSHIP} FROM partnership WHERE slug = $1", slug),  # noqa: S608
        Partnership,
    )


async def ensure_partnership(conn: asyncpg.Connection, new: NewPartnership) -> tuple[Partnership, bool]:
    """Insert the partnership unless its slug exists; return it and whether it was created."""
    row = await conn.fetchrow(
        f"""INSERT INTO partnership (slug, name, council_area, police_force) VALUES ($1, $2, $3, $4)
            ON CONFLICT (slug) DO NOTHING RETURNING {_PARTNERSHIP}""",  # noqa: S608
        new.slug,
        new.name,
        new.council_area,
        new.police_force,
    )
    if row is not None:
        return to_struct(row, Partnership), True  # type: ignore[return-value]
    return await partnership_by_slug(conn, new.slug), False  # type: ignore[return-value]


# ---- agencies -------------------------------------------------------------------------------

_AGENCY = """a.id, a.partnership_id, a.name, a.agency_type, t.label AS agency_type_label, a.active, a.version
             FROM agency a JOIN agency_type t ON t.code = a.agency_type"""


async def agency_types(conn: asyncpg.Connection) -> list[AgencyType]:
    return to_structs(await conn.fetch("SELECT code, label FROM agency_type ORDER BY sort_order, label"), AgencyType)


async def list_agencies(conn: asyncpg.Connection, partnership_id: int) -> list[Agency]:
    rows = await conn.fetch(
        f"SELECT {_AGENCY} WHERE a.partnership_id = $1 ORDER BY t.sort_order, a.name", partnership_id
    )
    return to_structs(rows, Agency)


async def agency(conn: asyncpg.Connection, agency_id: int) -> Agency | None:
    return to_struct(await conn.fetchrow(f"SELECT {_AGENCY} WHERE a.id = $1", agency_id), Agency)


async def agency_by_name(conn: asyncpg.Connection, partnership_id: int, name: str) -> Agency | None:
    row = await conn.fetchrow(
        f"SELECT {_AGENCY} WHERE a.partnership_id = $1 AND lower(a.name) = lower($2)",
        partnership_id,
        name,
    )
    return to_struct(row, Agency)


async def insert_agency(conn: asyncpg.Connection, partnership_id: int, name: str, agency_type: str) -> int:
    return await conn.fetchval(
        "INSERT INTO agency (partnership_id, name, agency_type) VALUES ($1, $2, $3) RETURNING id",
        partnership_id,
        name,
        agency_type,
    )


async def update_agency(
    conn: asyncpg.Connection, agency_id: int, version: int, name: str, agency_type: str, active: bool
) -> bool:
    """False when the version moved on (someone else saved first)."""
    done = await conn.fetchval(
        """UPDATE agency SET name = $3, agency_type = $4, active = $5, version = version + 1
            WHERE id = $1 AND version = $2 RETURNING id""",
        agency_id,
        version,
        name,
        agency_type,
        active,
    )
    return done is not None


# ---- users ----------------------------------------------------------------------------------

_USER = """u.id, u.partnership_id, u.agency_id, a.name AS agency_name, u.email, u.name, u.roles,
           u.must_change_password, u.active, u.version, u.created_at, u.password_changed_at, u.deactivated_at
           FROM app_user u JOIN agency a ON a.id = u.agency_id"""


async def list_users(conn: asyncpg.Connection, partnership_id: int) -> list[User]:
    rows = await conn.fetch(
        f"SELECT {_USER} WHERE u.partnership_id = $1 ORDER BY u.active DESC, u.name", partnership_id
    )
    return to_structs(rows, User)


async def user(conn: asyncpg.Connection, user_id: int) -> User | None:
    return to_struct(await conn.fetchrow(f"SELECT {_USER} WHERE u.id = $1", user_id), User)


async def user_by_email(conn: asyncpg.Connection, email: str) -> User | None:
    return to_struct(await conn.fetchrow(f"SELECT {_USER} WHERE u.email = $1", email.strip().lower()), User)


async def password_hash(conn: asyncpg.Connection, user_id: int) -> str | None:
    return await conn.fetchval("SELECT password_hash FROM app_user WHERE id = $1", user_id)


async def insert_user(
    conn: asyncpg.Connection,
    *,
    partnership_id: int,
    agency_id: int,
    email: str,
    name: str,
    roles: list[Role],
    password_hash: str,
    must_change_password: bool,
) -> int:
    return await conn.fetchval(
        """INSERT INTO app_user (partnership_id, agency_id, email, name, roles, password_hash, must_change_password,
                                 password_changed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, now()) RETURNING id""",
        partnership_id,
        agency_id,
        email,
        name,
        [r.value for r in roles],
        password_hash,
        must_change_password,
    )


async def update_user(
    conn: asyncpg.Connection, user_id: int, version: int, *, name: str, agency_id: int, roles: list[Role]
) -> bool:
    done = await conn.fetchval(
        """UPDATE app_user SET name = $3, agency_id = $4, roles = $5, version = version + 1
            WHERE id = $1 AND version = $2 RETURNING id""",
        user_id,
        version,
        name,
        agency_id,
        [r.value for r in roles],
    )
    return done is not None


async def set_active(conn: asyncpg.Connection, user_id: int, version: int, active: bool) -> bool:
    done = await conn.fetchval(
        """UPDATE app_user SET active = $3, deactivated_at = CASE WHEN $3 THEN NULL ELSE now() END,
                               version = version + 1
            WHERE id = $1 AND version = $2 RETURNING id""",
        user_id,
        version,
        active,
    )
    return done is not None


async def set_password(conn: asyncpg.Connection, user_id: int, password_hash: str, *, must_change: bool) -> None:
    await conn.execute(
        """UPDATE app_user SET password_hash = $2, must_change_password = $3, password_changed_at = now(),
                               version = version + 1
            WHERE id = $1""",
        user_id,
        password_hash,
        must_change,
    )


# ---- sessions -------------------------------------------------------------------------------


async def insert_session(
    conn: asyncpg.Connection, token_hash: str, user_id: int, expires_at: datetime, client_addr: str | None
) -> None:
    await conn.execute(
        "INSERT INTO web_session (token_hash, user_id, expires_at, client_addr) VALUES ($1, $2, $3, $4::inet)",
        token_hash,
        user_id,
        expires_at,
        client_addr,
    )


async def session_identity(conn: asyncpg.Connection | asyncpg.Pool, token_hash: str) -> asyncpg.Record | None:
    """The session and its active user in one query (this runs on every signed-in request)."""
    return await conn.fetchrow(
        """SELECT s.token_hash, s.last_seen_at, s.expires_at, u.id AS user_id, u.partnership_id, u.agency_id,
                  u.name, u.email, u.roles, u.must_change_password
             FROM web_session s JOIN app_user u ON u.id = s.user_id
            WHERE s.token_hash = $1 AND u.active""",
        token_hash,
    )


async def touch_session(conn: asyncpg.Connection | asyncpg.Pool, token_hash: str) -> None:
    await conn.execute("UPDATE web_session SET last_seen_at = now() WHERE token_hash = $1", token_hash)


async def delete_session(conn: asyncpg.Connection | asyncpg.Pool, token_hash: str) -> int | None:
    """Delete one session; return its user's id (None if it was already gone)."""
    return await conn.fetchval("DELETE FROM web_session WHERE token_hash = $1 RETURNING user_id", token_hash)


async def delete_user_sessions(conn: asyncpg.Connection, user_id: int) -> int:
    result = await conn.execute("DELETE FROM web_session WHERE user_id = $1", user_id)
    return int(result.split()[-1])


async def count_user_sessions(conn: asyncpg.Connection, user_id: int) -> int:
    return await conn.fetchval("SELECT count(*) FROM web_session WHERE user_id = $1 AND expires_at > now()", user_id)


async def purge_sessions(conn: asyncpg.Connection | asyncpg.Pool, idle_cutoff: datetime) -> int:
    result = await conn.execute("DELETE FROM web_session WHERE expires_at <= now() OR last_seen_at < $1", idle_cutoff)
    return int(result.split()[-1])


# ---- sign-in attempts -----------------------------------------------------------------------


async def record_attempt(
    conn: asyncpg.Connection, account_key: str, client_addr: str | None, *, succeeded: bool
) -> None:
    await conn.execute(
        "INSERT INTO sign_in_attempt (account_key, client_addr, succeeded) VALUES ($1, $2::inet, $3)",
        account_key,
        client_addr,
        succeeded,
    )


async def recent_failures(
    conn: asyncpg.Connection, account_key: str, client_addr: str | None, since: datetime
) -> tuple[int, int]:
    """Failed attempts since `since`: (for this account, from this client address)."""
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE account_key = $1) AS by_account,
                  count(*) FILTER (WHERE $2::inet IS NOT NULL AND client_addr = $2::inet) AS by_client
             FROM sign_in_attempt
            WHERE NOT succeeded AND attempted_at >= $3 AND (account_key = $1 OR client_addr = $2::inet)""",
        account_key,
        client_addr,
        since,
    )
    return row["by_account"], row["by_client"]


async def purge_attempts(conn: asyncpg.Connection | asyncpg.Pool, before: datetime) -> int:
    result = await conn.execute("DELETE FROM sign_in_attempt WHERE attempted_at < $1", before)
    return int(result.split()[-1])


# ---- API tokens -----------------------------------------------------------------------------

_TOKEN = """t.id, t.user_id, u.name AS user_name, t.name, t.token_prefix, t.scopes, t.created_at, t.expires_at,
            t.revoked_at, t.last_used_at FROM api_token t JOIN app_user u ON u.id = t.user_id"""


async def insert_token(
    conn: asyncpg.Connection,
    *,
    partnership_id: int,
    user_id: int,
    name: str,
    token_hash: str,
    token_prefix: str,
    scopes: list[Scope],
    expires_at: datetime,
    created_by: int | None,
) -> int:
    return await conn.fetchval(
        """INSERT INTO api_token (partnership_id, user_id, name, token_hash, token_prefix, scopes, expires_at,
                                  created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id""",
        partnership_id,
        user_id,
        name,
        token_hash,
        token_prefix,
        [s.value for s in scopes],
        expires_at,
        created_by,
    )


async def list_tokens(conn: asyncpg.Connection, partnership_id: int) -> list[ApiToken]:
    rows = await conn.fetch(f"SELECT {_TOKEN} WHERE t.partnership_id = $1 ORDER BY t.created_at DESC", partnership_id)
    return to_structs(rows, ApiToken)


async def token(conn: asyncpg.Connection, token_id: int) -> tuple[ApiToken, int] | None:
    """The token and the partnership it belongs to."""
    row = await conn.fetchrow(f"SELECT t.partnership_id AS owner, {_TOKEN} WHERE t.id = $1", token_id)
    if row is None:
        return None
    fields = dict(row)
    owner = fields.pop("owner")
    return msgspec.convert(fields, ApiToken), owner


async def revoke_token(conn: asyncpg.Connection, token_id: int, revoked_by: int | None) -> bool:
    done = await conn.fetchval(
        "UPDATE api_token SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id",
        token_id,
        revoked_by,
    )
    return done is not None


async def revoke_user_tokens(conn: asyncpg.Connection, user_id: int, revoked_by: int | None) -> int:
    result = await conn.execute(
        "UPDATE api_token SET revoked_at = now(), revoked_by = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        user_id,
        revoked_by,
    )
    return int(result.split()[-1])


async def token_identity(conn: asyncpg.Connection | asyncpg.Pool, token_hash: str) -> asyncpg.Record | None:
    """An unrevoked, unexpired token of an active user, with the user, in one query."""
    return await conn.fetchrow(
        """SELECT t.id AS token_id, t.scopes, t.last_used_at, u.id AS user_id, u.partnership_id, u.agency_id,
                  u.name, u.email, u.roles, u.must_change_password
             FROM api_token t JOIN app_user u ON u.id = t.user_id
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active""",
        token_hash,
    )


async def token_in_force(conn: asyncpg.Connection | asyncpg.Pool, token_id: int) -> bool:
    """Not revoked, not expired, and its user active."""
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM api_token t JOIN app_user u ON u.id = t.user_id
                               WHERE t.id = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active)""",
            token_id,
        )
    )


async def touch_token(conn: asyncpg.Connection | asyncpg.Pool, token_id: int) -> None:
    await conn.execute("UPDATE api_token SET last_used_at = now() WHERE id = $1", token_id)
